"""A CC1101 that exists only in software, for the sim board and tests (no radio hardware here).

It follows the datasheet where the driver can observe it: register and PATABLE read/write with
single and burst access, status registers, the status byte (CHIP_RDYn, STATE, FIFO bytes),
strobes SRES/SRX/STX/SIDLE/SFRX/SFTX/SCAL/SNOP/SWOR, packet handling per PKTCTRL0/1 (sync
word, PN9 whitening, variable length up to PKTLEN, address check on the first byte, CRC-16
check, appended RSSI and LQI|CRC_OK, CRC autoflush), RXOFF/TXOFF modes from MCSM1, the 64-byte
FIFOs with RXFIFO_OVERFLOW (only SFRX leaves it) and TXFIFO_UNDERFLOW, and GDO0 in IOCFG0 mode
0x01. Air traffic is modelled as whole bursts: `receive_air` delivers one, `transmitted`
collects what the chip sent. Wake-on-radio (SWOR) is modelled as RX; sim.air decides when a
sleeping chip sniffs.
"""

from bhub.radio import airframe, cc1101

_DEFAULTS = bytes((
    0x29, 0x2E, 0x3F, 0x07, 0xD3, 0x91, 0xFF, 0x04, 0x45, 0x00, 0x00, 0x0F, 0x00, 0x1E, 0xC4, 0xEC,
    0x8C, 0x22, 0x02, 0x22, 0xF8, 0x47, 0x07, 0x30, 0x04, 0x36, 0x6C, 0x03, 0x40, 0x91, 0x87, 0x6B,
    0xF8, 0x56, 0x10, 0xA9, 0x0A, 0x20, 0x0D, 0x41, 0x00, 0x59, 0x7F, 0x3F, 0x88, 0x31, 0x0B,
))  # fmt: skip  (datasheet reset values of 0x00-0x2E)
_IOCFG0 = 0x02
_SYNC1 = 0x04
_PKTLEN = 0x06
_PKTCTRL1 = 0x07
_ADDR = 0x09
_PKTCTRL0 = 0x08
_MCSM1 = 0x17
# MARCSTATE -> STATE field of the status byte.
_STATUS_STATE = {
    cc1101.STATE_IDLE: 0,
    cc1101.STATE_RX: 1,
    cc1101.STATE_TX: 2,
    cc1101.STATE_RXFIFO_OVERFLOW: 6,
    cc1101.STATE_TXFIFO_UNDERFLOW: 7,
}


class FakePin:
    """machine.Pin stand-in: value() reads, value(v) writes (or `read` supplies the level)."""

    def __init__(self, read=None):
        self._read = read
        self._level = 1

    def value(self, level=None):
        if level is None:
            return self._read() if self._read else self._level
        self._level = level
        return None


class FakeCC1101:
    """The chip behind an SPI bus: pass `spi=fake`, `cs=fake.cs`, `gdo0=fake.gdo0` to CC1101."""

    def __init__(self):
        self.cs = FakePin()
        self.gdo0 = FakePin(self._gdo0_level)
        self.channel_busy = False  # CCA result for STX while in RX
        self.transmitted = []  # on-air bursts sent
        self.missed = 0  # bursts that arrived while not in RX or were not packets for us
        self.wor = False  # wake-on-radio running (SWOR); sim.air decides when it sniffs
        self.filtered = 0  # packets discarded by the address check (PKTCTRL1 ADR_CHK)
        self._power_on()

    def _power_on(self):
        self.registers = bytearray(_DEFAULTS)
        self.patable = bytearray(8)
        self.patable[0] = 0xC6
        self.state = cc1101.STATE_IDLE
        self.rx_fifo = bytearray()
        self.tx_fifo = bytearray()
        self._rssi = 0x80
        self._lqi = 0

    # SPI side -------------------------------------------------------------------------------

    def write_readinto(self, wbuf, rbuf):
        """One SPI transaction with CS low: header byte, then data bytes."""
        if self.cs.value():
            raise OSError("CS is high: the CC1101 ignores SCLK")
        header = wbuf[0]
        read, burst, address = header & 0x80, header & 0x40, header & 0x3F
        if 0x30 <= address <= 0x3D and not burst:
            rbuf[0] = self._status_byte(read)
            self._strobe(address)
            return
        rbuf[0] = self._status_byte(read)
        for i in range(1, len(wbuf)):
            step = i - 1 if burst else 0
            if read:
                rbuf[i] = self._read(address, step)
            else:
                self._write(address, step, wbuf[i])
                rbuf[i] = self._status_byte(False)

    def _status_byte(self, read):
        if read:
            available = min(len(self.rx_fifo), 15)
        else:
            available = min(cc1101.FIFO_SIZE - len(self.tx_fifo), 15)
        return (_STATUS_STATE.get(self.state, 0) << 4) | available

    def _read(self, address, step):
        if address == cc1101.FIFO:
            if not self.rx_fifo:
                return 0
            byte = self.rx_fifo[0]
            self.rx_fifo = self.rx_fifo[1:]
            return byte
        if address == cc1101.PATABLE:
            return self.patable[step % 8]
        if address >= 0x30:
            return self._read_status(address) if step == 0 else 0
        return self.registers[(address + step) % len(self.registers)]

    def _read_status(self, address):
        overflow = cc1101.OVERFLOW if self.state == cc1101.STATE_RXFIFO_OVERFLOW else 0
        underflow = 0x80 if self.state == cc1101.STATE_TXFIFO_UNDERFLOW else 0
        return {
            cc1101.PARTNUM: 0x00,
            cc1101.VERSION: 0x14,
            cc1101.LQI: self._lqi,
            cc1101.RSSI: self._rssi,
            cc1101.MARCSTATE: self.state,
            cc1101.TXBYTES: underflow | len(self.tx_fifo),
            cc1101.RXBYTES: overflow | len(self.rx_fifo),
        }.get(address, 0)

    def _write(self, address, step, value):
        if address == cc1101.FIFO:
            if len(self.tx_fifo) < cc1101.FIFO_SIZE:
                self.tx_fifo.append(value)
            else:
                self.state = cc1101.STATE_TXFIFO_UNDERFLOW  # datasheet: TX FIFO overflow error
        elif address == cc1101.PATABLE:
            self.patable[step % 8] = value
        elif address + step < len(self.registers):
            self.registers[address + step] = value

    def _strobe(self, command):
        if command == cc1101.SRES:
            self._power_on()
        elif self.state == cc1101.STATE_RXFIFO_OVERFLOW:
            if command == cc1101.SFRX:  # the only way out of RXFIFO_OVERFLOW
                self.rx_fifo = bytearray()
                self.state = cc1101.STATE_IDLE
        elif self.state == cc1101.STATE_TXFIFO_UNDERFLOW:
            if command == cc1101.SFTX:
                self.tx_fifo = bytearray()
                self.state = cc1101.STATE_IDLE
        elif command == cc1101.SIDLE:
            self.state = cc1101.STATE_IDLE
            self.wor = False
        elif command == cc1101.SWOR and self.state == cc1101.STATE_IDLE:
            self.wor = True
            self.state = cc1101.STATE_RX  # between sniffs the chip sleeps; modelled as RX
        elif command == cc1101.SRX and self.state == cc1101.STATE_IDLE:
            self.state = cc1101.STATE_RX
        elif command == cc1101.STX and self.state in (cc1101.STATE_IDLE, cc1101.STATE_RX):
            if not (self.state == cc1101.STATE_RX and self.channel_busy):
                self._send()
        elif command == cc1101.SFRX and self.state == cc1101.STATE_IDLE:
            self.rx_fifo = bytearray()
        elif command == cc1101.SFTX and self.state == cc1101.STATE_IDLE:
            self.tx_fifo = bytearray()

    # Air side -------------------------------------------------------------------------------

    def _address_ok(self, address):
        check = self.registers[_PKTCTRL1] & 0x03  # ADR_CHK
        if not check or address == self.registers[_ADDR]:
            return True
        return (check >= 2 and address == 0x00) or (check == 3 and address == 0xFF)

    def _gdo0_level(self):
        if self.registers[_IOCFG0] & 0x3F == 0x01:
            return 1 if self.rx_fifo else 0
        return 0

    def _after(self, mode_bits):
        # MCSM1 RXOFF/TXOFF_MODE: 0 IDLE, 3 RX (FSTXON and TX are not modelled: IDLE).
        return cc1101.STATE_RX if mode_bits == 3 else cc1101.STATE_IDLE

    def _send(self):
        if not self.tx_fifo or self.tx_fifo[0] + 1 > len(self.tx_fifo):
            self.state = cc1101.STATE_TXFIFO_UNDERFLOW
            return
        length = self.tx_fifo[0]
        body = bytes(self.tx_fifo[: length + 1])
        self.tx_fifo = self.tx_fifo[length + 1 :]
        if self.registers[_PKTCTRL0] & 0x04:
            crc = airframe.crc16(body)
            body += bytes((crc >> 8, crc & 0xFF))
        if self.registers[_PKTCTRL0] & 0x40:
            body = bytes(airframe.pn9_whiten(body))
        sync = bytes(self.registers[_SYNC1 : _SYNC1 + 2])
        self.transmitted.append(airframe.PREAMBLE + sync + body)
        self.state = self._after(self.registers[_MCSM1] & 0x03)

    def receive_air(self, burst, rssi_dbm=-60, lqi=20):
        """One burst reaches the antenna; returns True if it was taken into the RX FIFO."""
        sync = bytes(self.registers[_SYNC1 : _SYNC1 + 2])
        start = burst.find(sync)
        if self.state != cc1101.STATE_RX or start < 0 or len(burst) < start + 3:
            self.missed += 1
            return False
        body = burst[start + 2 :]
        if self.registers[_PKTCTRL0] & 0x40:
            body = bytes(airframe.pn9_whiten(body))
        length = body[0]
        if length > self.registers[_PKTLEN] or len(body) < length + 1:
            self.missed += 1  # discarded by length filtering; the chip keeps receiving
            return False
        if not self._address_ok(body[1] if length else None):
            self.filtered += 1  # address check: discarded, RX restarts, GDO0 stays low
            return False
        crc_ok = True
        if self.registers[_PKTCTRL0] & 0x04:
            crc_ok = len(body) >= length + 3 and airframe.crc16(body[: length + 3]) == 0
        self._rssi = int((rssi_dbm + cc1101.RSSI_OFFSET_DB) * 2) & 0xFF
        self._lqi = (cc1101.CRC_OK if crc_ok else 0) | (lqi & 0x7F)
        if not crc_ok and self.registers[_PKTCTRL1] & 0x08:  # CRC_AUTOFLUSH
            self.rx_fifo = bytearray()
        else:
            data = body[: length + 1]
            if self.registers[_PKTCTRL1] & 0x04:  # APPEND_STATUS
                data += bytes((self._rssi, self._lqi))
            for byte in data:
                if len(self.rx_fifo) == cc1101.FIFO_SIZE:
                    self.state = cc1101.STATE_RXFIFO_OVERFLOW
                    return True
                self.rx_fifo.append(byte)
        self.state = self._after((self.registers[_MCSM1] >> 2) & 0x03)
        return True
