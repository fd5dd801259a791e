# CC1101 driver against the fake chip: receive, CRC failure, length filter, overflow, transmit.
import json

from bhub.radio import airframe, cc1101
from bhub.radio.fake_cc1101 import FakeCC1101


def scenario():
    chip = FakeCC1101()
    radio = cc1101.CC1101(chip, chip.cs, chip.gdo0)
    radio.reset()
    result = {"chip_id": radio.chip_id(), "state_after_reset": chip.state}
    packet = airframe.encode_report(42, 1, [10, 20], 3500, [0, airframe.CH_OPEN])
    burst = airframe.encode_on_air(packet)

    result["idle_gdo0"] = chip.gdo0.value()
    chip.receive_air(burst, rssi_dbm=-71.5, lqi=25)
    result["gdo0"] = chip.gdo0.value()
    got = radio.receive()
    result["received"] = [got[0].hex(), got[1], got[2]]
    result["state_after_rx"] = chip.state

    corrupt = bytearray(burst)
    corrupt[-3] ^= 0x10
    chip.receive_air(bytes(corrupt))
    result["crc_fail"] = [radio.receive(), radio.crc_errors]

    chip.registers[0x06] = 20  # PKTLEN below the packet length: the chip drops it
    result["length_filtered"] = [chip.receive_air(burst), len(chip.rx_fifo)]
    chip.registers[0x06] = cc1101.MAX_PACKET

    for _ in range(3):  # three 30-byte packets without reading: the 64-byte FIFO overflows
        chip.receive_air(burst)
    result["overflow_state"] = chip.state
    result["overflow_lost"] = chip.receive_air(burst)
    result["overflow_receive"] = [radio.receive(), radio.overflows, chip.state, len(chip.rx_fifo)]
    chip.receive_air(burst)
    result["after_overflow"] = radio.receive()[0] == packet

    result["tx"] = [radio.transmit(packet), chip.transmitted[-1] == burst, chip.state]
    chip.channel_busy = True
    result["tx_busy"] = [radio.transmit(packet), radio.tx_busy, len(chip.transmitted), chip.state]
    return result


if __name__ == "__main__":
    print(json.dumps(scenario()))
