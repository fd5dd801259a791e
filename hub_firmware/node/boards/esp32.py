"""ESP32 + CC1101 board of the D100FC-class node (docs/node.md, "Hardware").

Flash the firmware with a main.py of `from node.boards.esp32 import main; main()` and a
/node.json of {"node_id": N, "install_key": "32 hex digits", "relay": false}. A battery node
(`relay` false, the default), each wake-up:
1. cold boot: `Node.boot()` (safe state, new epoch); deep-sleep wake: `Node.resume()` from
   RTC memory (no new epoch, pulses kept by the ULP);
2. packets the CC1101 holds (GDO0 woke us) go to `Node.packet`, due work to `Node.run`;
3. the CC1101 goes back to wake-on-radio, GDO0 arms the ext1 wake-up, and the ESP32
   deep-sleeps until the node's next due time.
A relay (`relay` true) is mains powered: it boots once and serves the radio in RX for ever.

Pins: CC1101 on VSPI (SCK 18, MOSI 23, MISO 19, CS 5, GDO0 4 = RTC GPIO 10 for ext1). Pulse
inputs GPIO 34, 35, 32 (ADC1 and RTC GPIOs, read by the ULP while the ESP32 sleeps), magnet
Hall switch GPIO 39, AD220 keep-alive GPIO 25 (RTC GPIO, pulsed by the ULP while shed), battery
divider enable GPIO 27 and sense GPIO 36.
"""

import json
import os
import struct
from binascii import unhexlify

import esp32
import machine
import time
from machine import ADC, SPI, Pin

from bhub.outputs import Output
from bhub.pulses import LINE_OK, LINE_OPEN_CIRCUIT, LINE_SHORT_CIRCUIT, PulseChannel
from bhub.radio.cc1101 import CC1101
from node import ulp
from node.node import LISTEN_INTERVAL_S, SNAPSHOT_SIZE, Node

PINS = {"spi": (18, 23, 19), "cs": 5, "gdo0": 4, "inputs": (34, 35, 32), "magnet": 39,
        "keepalive": 25, "battery_enable": 27, "battery": 36}  # fmt: skip
RTC_CHANNELS = {34: 4, 35: 5, 32: 9, 25: 6}  # GPIO -> RTC GPIO (what the ULP addresses)
MEDIUM_WATER = 2
STATE_PATH = "/node-state.bin"
ULP_DATA = 0x50000000 + 4 * ulp.DATA_WORD  # the ULP program's data words (node/ulp.py)
ULP_PERIOD_US = 5_000
SHORT_BELOW = 0.09  # loop voltage as a fraction of the supply (same bands as the hub's loops)
OPEN_ABOVE = 0.91
BATTERY_DIVIDER = 2


class WakeClock:
    """Seconds since this wake-up (every deep-sleep wake is a fresh boot): small floats, as the
    port's floats are 32-bit. Time across sleeps comes from the RTC (`time.time_ns`)."""

    def monotonic(self):
        return time.ticks_ms() / 1000


def line_reader(pin_no):
    adc = ADC(Pin(pin_no), atten=ADC.ATTN_11DB)

    def read():
        fraction = adc.read_u16() / 65535
        if fraction < SHORT_BELOW:
            return LINE_SHORT_CIRCUIT
        return LINE_OPEN_CIRCUIT if fraction > OPEN_ABOVE else LINE_OK

    return read


def battery_mv():
    enable = Pin(PINS["battery_enable"], Pin.OUT, value=1)
    time.sleep_ms(2)
    millivolts = ADC(Pin(PINS["battery"]), atten=ADC.ATTN_11DB).read_uv() * BATTERY_DIVIDER // 1000
    enable.value(0)
    return millivolts


def start_ulp(cold, inputs):
    """Cold boot: counters restart (a new epoch), the ULP program is built and started; it
    keeps running across deep sleeps."""
    if not cold:
        return
    ulp.reset_data(machine.mem32, ULP_DATA)
    channels = [RTC_CHANNELS[pin] for pin in PINS["inputs"][:inputs]]
    coprocessor = esp32.ULP()
    coprocessor.set_wakeup_period(0, ULP_PERIOD_US)
    coprocessor.load_binary(0, ulp.program(channels, RTC_CHANNELS[PINS["keepalive"]]))
    coprocessor.run(0)


def build(config, cold):
    sck, mosi, miso = PINS["spi"]
    spi = SPI(2, baudrate=5_000_000, sck=Pin(sck), mosi=Pin(mosi), miso=Pin(miso))
    gdo0 = Pin(PINS["gdo0"], Pin.IN)
    radio = CC1101(spi, Pin(PINS["cs"], Pin.OUT, value=1), gdo0)
    inputs = config.get("inputs", 3)
    start_ulp(cold, inputs)
    magnet = Pin(PINS["magnet"], Pin.IN)
    channels = [PulseChannel(i + 1, MEDIUM_WATER, ulp.UlpCounter(machine.mem32, ULP_DATA, i),
                             read_line=line_reader(pin), read_magnet=magnet.value,
                             confirm_samples=2)
                for i, pin in enumerate(PINS["inputs"][:inputs])]  # fmt: skip
    keepalive = ulp.KeepAlive(machine.mem32, ULP_DATA)
    output = Output("ad220", keepalive) if config.get("output", True) else None
    node = Node(config["node_id"], WakeClock(), lambda packet, wake: send(radio, packet, wake),
                STATE_PATH, unhexlify(config["install_key"]), channels, output, battery_mv,
                os.urandom, relay=config.get("relay", False))  # fmt: skip
    if cold or not node.listens:  # a powered-down CC1101 lost PATABLE and TEST0-2
        radio.reset()
    return radio, gdo0, node


def send(radio, packet, wake):
    """A wake-up burst repeats the packet back to back for one listen interval."""
    radio.transmit_for(packet, int(LISTEN_INTERVAL_S * 1000) if wake else 0)


class MainsClock:
    """Seconds since boot for a relay that never sleeps (ticks_ms wraps, this does not)."""

    def __init__(self):
        self._ms = 0
        self._last = time.ticks_ms()

    def monotonic(self):
        now = time.ticks_ms()
        self._ms += time.ticks_diff(now, self._last)
        self._last = now
        return self._ms / 1000


def serve(radio, node):
    """Hand the packets the CC1101 holds to the node, then run its due work."""
    while radio.packet_waiting():
        received = radio.receive()
        if received is None:
            break
        node.packet(received[0], received[1])
    if node.due() <= node.clock.monotonic():
        node.run()


def relay_loop(radio, node):
    """Mains-powered relay: receiver always on, so no one needs a wake-up burst to reach it."""
    radio.start_receive()  # the chip returns to RX after each transmission by itself
    while True:
        serve(radio, node)
        time.sleep_ms(2)


def cycle(radio, gdo0, node):
    """Serve what woke us, then deep-sleep until the node's next due time."""
    serve(radio, node)
    radio.filter_first_byte(node.first_byte_filter())
    now = node.clock.monotonic()
    if not node.listens:
        radio.power_down()  # a metering-only leaf: nothing to hear until its next report
    else:
        radio.wake_on_radio(node.listen_interval_s)
    sleep_s = node.due() - now
    machine.RTC().memory(struct.pack(">q", time.time_ns()) + node.snapshot())
    esp32.wake_on_ext1(pins=(gdo0,), level=esp32.WAKEUP_ANY_HIGH)
    machine.deepsleep(max(1, int(sleep_s * 1000)))


def main():
    with open("/node.json") as handle:
        config = json.load(handle)
    cold = machine.reset_cause() != machine.DEEPSLEEP_RESET
    radio, gdo0, node = build(config, cold)
    if node.relay:
        node.clock = MainsClock()
        node.boot()
        relay_loop(radio, node)
    saved = machine.RTC().memory()
    if cold or len(saved) != 8 + SNAPSHOT_SIZE:
        node.boot()
    else:
        slept_ns = time.time_ns() - struct.unpack(">q", saved[:8])[0]
        node.resume(saved[8:], slept_ns / 1_000_000_000)
    cycle(radio, gdo0, node)
