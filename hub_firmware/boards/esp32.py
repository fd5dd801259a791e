"""ESP32 board: the real hub (J100UC role) on an ESP32 with 4 MB flash.

Pin map (ESP32-WROOM-32; change PINS for another layout):
- S0 pulse inputs (electronic meter outputs): GPIO 34, 35 -> hardware counter (PCNT).
- Contact pulse input (reed switch, e.g. water): GPIO 32 -> pin IRQ + software debounce,
  supervision ADC on GPIO 36 (1 k series / 10 k parallel / 4.7 k pull-up), hall sensor GPIO 39.
- Contactor coil drivers (through a transistor and a relay): GPIO 25, 26, 27, 14.
- CC1101 on VSPI: SCK 18, MOSI 23, MISO 19, CS 5, GDO0 4 (docs/hub-radio.md).
The serial link is the USB-UART (UART0, 115200 8N1): the REPL is detached from it while the
hub runs. Settings on the filesystem: /wifi.json {"ssid", "password"}, /psk.txt (base64) and
/nodes.json {"<node id>": "<install key, 32 hex digits>"}: the radio nodes allowed to pair
(docs/node.md).
"""

import os
from binascii import a2b_base64, unhexlify

import asyncio
import machine
import micropython
import network

from bhub.aircmd import AirCommands
from bhub.clock import RealClock
from bhub.hub import FIRMWARE_VERSION, Hub
from bhub.link import StdioStream, serve_stream, serve_tcp
from bhub.mdns import LINK_PORT, MdnsResponder
from bhub.nodes import NodeTable
from bhub.outputs import Output
from bhub.pulses import DebouncedCounter, PulseChannel, hardware_counter, isolated_line
from bhub.radio.airframe import OpenAirDecoder
from bhub.radio.airsec import LISTEN_INTERVAL_S
from bhub.radio.cc1101 import CC1101
from bhub.radio.router import Router
from bhub.watchdog import HardwareWatchdog

MEDIUM_ELECTRICITY, MEDIUM_WATER = 1, 2
PINS = {"s0": (34, 35), "contact": 32, "line_open": 36, "line_short": 33, "magnet": 39,
        "coils": (25, 26, 27, 14), "spi": (18, 23, 19), "cc1101_cs": 5, "cc1101_gdo0": 4}
STATE_DIR = "/state"
WATCHDOG_MS = 10_000
PUSH_MS = 10_000
RADIO_POLL_MS = 20


def _read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def hub_id():
    return "J100UC-" + "".join("%02X" % b for b in machine.unique_id()[-3:])


def build_channels():
    from machine import Pin

    channels = []
    for unit, pin in enumerate(PINS["s0"]):
        counter = hardware_counter(unit, pin)
        if counter is None:  # no counter peripheral: count by IRQ (debounce is harmless)
            counter = DebouncedCounter()
            counter.attach(Pin(pin, Pin.IN), Pin.IRQ_RISING | Pin.IRQ_FALLING)
        channels.append(PulseChannel(unit + 1, MEDIUM_ELECTRICITY, counter))
    contact = DebouncedCounter(active_level=0)  # contact closes to ground, pull-up idle high
    contact.attach(Pin(PINS["contact"], Pin.IN, Pin.PULL_UP), Pin.IRQ_RISING | Pin.IRQ_FALLING)
    line = isolated_line(Pin(PINS["line_open"], Pin.IN), Pin(PINS["line_short"], Pin.IN))
    magnet = Pin(PINS["magnet"], Pin.IN)
    channels.append(PulseChannel(len(channels) + 1, MEDIUM_WATER, contact,
                                 read_line=line, read_magnet=magnet.value))
    return channels


def build_radio(nodes):
    from machine import SPI, Pin

    sck, mosi, miso = PINS["spi"]
    spi = SPI(2, baudrate=5_000_000, sck=Pin(sck), mosi=Pin(mosi), miso=Pin(miso))
    radio = CC1101(spi, Pin(PINS["cc1101_cs"], Pin.OUT, value=1), Pin(PINS["cc1101_gdo0"]))
    radio.reset()
    radio.start_receive()
    return radio, Router(nodes, OpenAirDecoder())


def connect_wifi():
    import json

    settings = _read_text("/wifi.json")
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if settings:
        config = json.loads(settings)
        wlan.connect(config["ssid"], config["password"])
    return wlan


def build_air(radio, clock):
    """Pairing and commands for radio nodes' outputs, or None without a radio."""
    if radio is None:
        return None
    import json

    codes = json.loads(_read_text("/nodes.json") or "{}")

    def transmit(packet, wake):
        radio.transmit_for(packet, int(LISTEN_INTERVAL_S * 1000) if wake else 0)

    return AirCommands(clock, transmit, STATE_DIR + "/air.bin",
                       {int(node): unhexlify(key) for node, key in codes.items()},
                       os.urandom, LISTEN_INTERVAL_S)  # fmt: skip


async def radio_loop(radio, router, hub):
    while True:
        while radio.packet_waiting():
            received = radio.receive()
            if received is None:
                break
            packet, rssi, _ = received
            if hub.air.handle(packet):
                continue
            report = router.handle(packet, rssi, int(hub.clock.unix()))
            if report is not None:
                hub.air.reported(report.node_id, report.outputs)
        hub.air.poll()
        await asyncio.sleep_ms(RADIO_POLL_MS)


async def announce(hub, psk, wlan):
    """Answer mDNS once Wi-Fi is up."""
    while not wlan.isconnected():
        await asyncio.sleep_ms(500)
    ip = wlan.ifconfig()[0]
    await MdnsResponder(hub.hub_id, FIRMWARE_VERSION, psk is not None, ip).run()


async def main_loop(hub, watchdog):
    next_push = 0
    while True:
        hub.tick()
        watchdog.feed()
        next_push -= 1000
        if next_push <= 0:
            hub.push()
            next_push = PUSH_MS
        await asyncio.sleep_ms(1000)


async def serve(hub, psk, radio, router, wlan):
    watchdog = HardwareWatchdog(WATCHDOG_MS)
    asyncio.create_task(serve_stream(lambda: hub, StdioStream(), None))  # USB: no key
    await serve_tcp(hub, "0.0.0.0", LINK_PORT, psk)
    asyncio.create_task(announce(hub, psk, wlan))
    if radio is not None:
        asyncio.create_task(radio_loop(radio, router, hub))
    await main_loop(hub, watchdog)


def main():
    try:
        os.mkdir(STATE_DIR)
    except OSError:
        pass
    clock = RealClock()
    coils = [machine.Pin(pin, machine.Pin.OUT, value=0) for pin in PINS["coils"]]
    nodes = NodeTable()
    try:
        radio, router = build_radio(nodes)
    except OSError:
        radio = router = None
    psk_text = _read_text("/psk.txt")
    hub = Hub(hub_id(), clock, build_channels(), [Output("K%d" % (i + 1), c) for i, c in
              enumerate(coils)], STATE_DIR, nodes, model="J100UC ESP32",
              air=build_air(radio, clock))
    hub.start()
    wlan = connect_wifi()
    micropython.kbd_intr(-1)  # binary frames on the USB serial: Ctrl-C is data, not a break
    try:
        asyncio.run(serve(hub, a2b_base64(psk_text) if psk_text else None, radio, router, wlan))
    finally:
        hub.stop()  # soft reboot: nothing lost
        micropython.kbd_intr(3)
