"""TI CC1101 sub-GHz transceiver driver: 433.92 MHz, GFSK 38.4 kBaud, variable-length packets.

The chip does preamble, sync word (0xD391), PN9 whitening and CRC-16 in hardware, so the
packets handed in and out are the air frame's *packets* (radio/airframe.py). Received packets
carry two appended status bytes (RSSI, LQI | CRC_OK); packets with a bad CRC are counted and
dropped here. The chip stays in RX after each packet and after each transmission; transmit()
uses clear-channel assessment (listen before talk).

`spi` needs write_readinto(wbuf, rbuf) (machine.SPI, mode 0, up to 6.5 MHz for bursts), `cs` and
optional `gdo0` need value() (machine.Pin). GDO0 is set to "RX FIFO not empty / end of packet",
so `packet_waiting()` costs no SPI traffic when it is wired.
"""

# Command strobes.
SRES = 0x30
SCAL = 0x33
SRX = 0x34
STX = 0x35
SIDLE = 0x36
SFRX = 0x3A
SFTX = 0x3B
SNOP = 0x3D
SWOR = 0x38
SPWD = 0x39
SWORRST = 0x3C
MCSM2 = 0x16
MCSM0 = 0x18
WOREVT1 = 0x1E
WOREVT0 = 0x1F
WORCTRL = 0x20
PKTCTRL1 = 0x07
ADDR = 0x09
PKTCTRL1_STATUS = 0x04  # APPEND_STATUS, no address check
# Wake-on-radio (datasheet 19.5): RX timeout RX_TIME 6 (0.195 % of EVENT0) ended early by
# carrier sense (RX_TIME_RSSI); RC oscillator on and calibrated, EVENT1 = 48 RC periods for
# the crystal to settle; the synthesiser calibrates every 4th wake (FS_AUTOCAL 3).
WOR_MCSM2 = 0x16
WOR_WORCTRL = 0x78
WOR_MCSM0 = 0x38
# Status registers (read with the burst bit set).
PARTNUM = 0x30
VERSION = 0x31
LQI = 0x33
RSSI = 0x34
MARCSTATE = 0x35
TXBYTES = 0x3A
RXBYTES = 0x3B
PATABLE = 0x3E
FIFO = 0x3F
# Header bits.
READ = 0x80
BURST = 0x40
# MARCSTATE values.
STATE_IDLE = 0x01
STATE_RX = 0x0D
STATE_RXFIFO_OVERFLOW = 0x11
STATE_TX = 0x13
STATE_TXFIFO_UNDERFLOW = 0x16

CRC_OK = 0x80
OVERFLOW = 0x80
FIFO_SIZE = 64
MAX_PACKET = 61  # PKTLEN: a whole packet with length and status bytes fits the 64-byte FIFO
RSSI_OFFSET_DB = 74  # datasheet table for 433 MHz
XOSC_HZ = 26_000_000
FREQUENCY_HZ = 433_920_000  # centre of the 433.12-434.72 MHz band
PA_PLUS_10_DBM = 0xC0  # PATABLE at 433 MHz (datasheet table); 10 mW is the band's e.r.p. limit


def frequency_word(hz):
    """FREQ2..0 value for a carrier of `hz` with the 26 MHz crystal (f = XOSC * FREQ / 2^16)."""
    return (hz * 65536 + XOSC_HZ // 2) // XOSC_HZ


def _settings(hz):
    freq = frequency_word(hz)
    return (
        (0x00, 0x06),  # IOCFG2: GDO2 high from sync word to end of packet
        (0x02, 0x01),  # IOCFG0: GDO0 high while RX FIFO holds a whole packet or 32+ bytes
        (0x03, 0x47),  # FIFOTHR: RX threshold 32 bytes
        (0x04, 0xD3),  # SYNC1
        (0x05, 0x91),  # SYNC0
        (0x06, MAX_PACKET),  # PKTLEN: longer packets are discarded by the chip
        (0x07, 0x04),  # PKTCTRL1: APPEND_STATUS, no address check, no CRC autoflush
        (0x08, 0x45),  # PKTCTRL0: WHITE_DATA, CRC_EN, variable length
        (0x0A, 0x00),  # CHANNR
        (0x0B, 0x06),  # FSCTRL1: IF 152 kHz
        (0x0D, (freq >> 16) & 0xFF),  # FREQ2..0: 433.92 MHz
        (0x0E, (freq >> 8) & 0xFF),
        (0x0F, freq & 0xFF),
        (0x10, 0xCA),  # MDMCFG4: RX filter 101.6 kHz, DRATE_E 10
        (0x11, 0x83),  # MDMCFG3: DRATE_M -> 38.38 kBaud
        (0x12, 0x13),  # MDMCFG2: GFSK, 30/32 sync bits
        (0x13, 0x22),  # MDMCFG1: 4 preamble bytes
        (0x15, 0x35),  # DEVIATN: 20.6 kHz
        (0x17, 0x3F),  # MCSM1: CCA if RSSI below threshold unless receiving; RX after RX and TX
        (0x18, 0x18),  # MCSM0: calibrate on IDLE -> RX/TX
        (0x19, 0x16),  # FOCCFG
        (0x1B, 0x43),  # AGCCTRL2
        (0x21, 0x56),  # FREND1
        (0x22, 0x10),  # FREND0: PATABLE[0]
        (0x23, 0xE9),  # FSCAL3..0 (SmartRF Studio values)
        (0x24, 0x2A),
        (0x25, 0x00),
        (0x26, 0x1F),
        (0x2C, 0x81),  # TEST2..0 (SmartRF Studio values for this data rate)
        (0x2D, 0x35),
        (0x2E, 0x09),
    )


def wor_event0(interval_s, xosc_hz=XOSC_HZ):
    """WOREVT1:0 for a wake-on-radio period (WOR_RES 0: t = 750 / f_xosc x EVENT0)."""
    event0 = int(interval_s * xosc_hz / 750 + 0.5)
    if not 0 < event0 <= 0xFFFF:
        raise ValueError("interval")
    return event0


def rssi_dbm(raw):
    """dBm of an RSSI status byte (two's complement, 0.5 dB steps, minus the 433 MHz offset)."""
    value = raw - 256 if raw >= 128 else raw
    return (value >> 1) - RSSI_OFFSET_DB


class CC1101:
    """Packet radio on a CC1101; counters: packets_received, crc_errors, overflows, tx_busy."""

    def __init__(self, spi, cs, gdo0=None, frequency_hz=FREQUENCY_HZ):
        self._spi = spi
        self._cs = cs
        self._gdo0 = gdo0
        self._frequency_hz = frequency_hz
        self._one = bytearray(1)
        self._pair = bytearray(2)
        self._pending_length = 0  # length byte already read for a packet still arriving
        self.packets_received = 0
        self.crc_errors = 0
        self.overflows = 0
        self.tx_busy = 0
        cs.value(1)

    def _transfer(self, buf):
        self._cs.value(0)
        try:
            self._spi.write_readinto(buf, buf)
        finally:
            self._cs.value(1)
        return buf

    def strobe(self, command):
        """Send a command strobe; returns the chip status byte."""
        self._one[0] = command
        return self._transfer(self._one)[0]

    def read_register(self, address):
        self._pair[0] = address | READ
        return self._transfer(self._pair)[1]

    def write_register(self, address, value):
        self._pair[0] = address
        self._pair[1] = value
        self._transfer(self._pair)

    def read_status(self, address):
        """Read a status register (0x30-0x3D): the burst bit tells it apart from a strobe."""
        self._pair[0] = address | READ | BURST
        return self._transfer(self._pair)[1]

    def read_burst(self, address, count):
        buf = bytearray(count + 1)
        buf[0] = address | READ | BURST
        return self._transfer(buf)[1:]

    def write_burst(self, address, data):
        buf = bytearray(len(data) + 1)
        buf[0] = address | BURST
        buf[1:] = data
        self._transfer(buf)

    def reset(self):
        """SRES, then write the configuration and PATABLE, then enter RX."""
        self.strobe(SRES)
        for address, value in _settings(self._frequency_hz):
            self.write_register(address, value)
        self.write_burst(PATABLE, bytes([PA_PLUS_10_DBM]))
        self.start_receive()

    def wake_on_radio(self, interval_s):
        """Sniff for a packet every `interval_s` on the chip's own timer while the MCU sleeps;
        GDO0 rises when one arrived. Returns the EVENT0 value written."""
        event0 = wor_event0(interval_s)
        self.strobe(SIDLE)
        self.write_register(MCSM2, WOR_MCSM2)
        self.write_register(MCSM0, WOR_MCSM0)
        self.write_register(WOREVT1, event0 >> 8)
        self.write_register(WOREVT0, event0 & 0xFF)
        self.write_register(WORCTRL, WOR_WORCTRL)
        self.strobe(SFRX)
        self._pending_length = 0
        self.strobe(SWORRST)
        self.strobe(SWOR)
        return event0

    def power_down(self):
        """SLEEP (about 0.2 uA) until CSn goes low again. PATABLE and TEST0-2 are lost in
        SLEEP (datasheet), so call reset() after waking the chip."""
        self.strobe(SIDLE)
        self.strobe(SPWD)

    def transmit_for(self, packet, duration_ms):
        """A wake-up burst: `packet` back to back for `duration_ms` (at least once), so a node
        sniffing once per listen interval catches a whole copy. False if a send failed."""
        import time

        until = time.ticks_add(time.ticks_ms(), duration_ms)
        sent = self.transmit(packet)
        while sent and time.ticks_diff(until, time.ticks_ms()) > 0:
            sent = self.transmit(packet)
        return sent

    def filter_first_byte(self, value):
        """Keep only packets whose first byte is `value` (None: all), in the chip: the address
        check (PKTCTRL1 ADR_CHK 1) drops the others before GDO0 can wake the MCU."""
        if value is None:
            self.write_register(PKTCTRL1, PKTCTRL1_STATUS)
        else:
            self.write_register(ADDR, value)
            self.write_register(PKTCTRL1, PKTCTRL1_STATUS | 0x01)

    def chip_id(self):
        """(PARTNUM, VERSION): (0x00, 0x14) for a CC1101."""
        return self.read_status(PARTNUM), self.read_status(VERSION)

    def start_receive(self):
        """Flush the RX FIFO and (re)enter RX; going through IDLE recalibrates the synthesiser,
        so the hub calls this every few minutes as well."""
        self.strobe(SIDLE)
        self.strobe(SFRX)
        self._pending_length = 0
        self.strobe(SRX)

    def _rx_bytes(self):
        # Errata: read RXBYTES until two reads agree.
        value = self.read_status(RXBYTES)
        while True:
            again = self.read_status(RXBYTES)
            if again == value:
                return value
            value = again

    def packet_waiting(self):
        """True if the RX FIFO may hold a packet (GDO0 when wired, else RXBYTES over SPI)."""
        if self._gdo0 is not None:
            return bool(self._gdo0.value())
        return self._rx_bytes() != 0

    def receive(self):
        """Next whole packet with a good CRC as (packet, rssi_dbm, lqi), or None.

        An RX FIFO overflow is counted and cleared (SFRX, back to RX); a packet with a bad CRC
        is counted and dropped. A packet still arriving is left for a later call.
        """
        while True:
            rx_bytes = self._rx_bytes()
            if rx_bytes & OVERFLOW:
                self.overflows += 1
                self.start_receive()
                return None
            available = rx_bytes & 0x7F
            if not self._pending_length:
                if not available:
                    return None
                self._pending_length = self.read_burst(FIFO, 1)[0]
                available -= 1
                if not 0 < self._pending_length <= MAX_PACKET:
                    self.start_receive()  # cannot happen with PKTLEN set; resynchronise anyway
                    return None
            if available < self._pending_length + 2:
                return None
            data = self.read_burst(FIFO, self._pending_length + 2)
            self._pending_length = 0
            if not data[-1] & CRC_OK:
                self.crc_errors += 1
                continue
            self.packets_received += 1
            return bytes(data[:-2]), rssi_dbm(data[-2]), data[-1] & 0x7F

    def transmit(self, packet, polls=5000):
        """Send one packet after a clear-channel check; False if the channel was busy or the
        chip did not finish within `polls` status reads. The chip returns to RX afterwards."""
        if not 0 < len(packet) <= MAX_PACKET:
            raise ValueError("packet length")
        if self.read_status(MARCSTATE) & 0x1F != STATE_RX:
            self.start_receive()
        self.write_burst(FIFO, bytes([len(packet)]) + packet)
        self.strobe(STX)
        for _ in range(polls):
            state = self.read_status(MARCSTATE) & 0x1F
            if state == STATE_TXFIFO_UNDERFLOW:
                break
            if state == STATE_RX:
                if not self.read_status(TXBYTES) & 0x7F:
                    return True  # sent, back in RX (TXOFF_MODE)
                self.tx_busy += 1  # CCA failed: STX left the chip in RX, packet still queued
                break
        self.strobe(SIDLE)
        self.strobe(SFTX)
        self.strobe(SRX)
        return False
