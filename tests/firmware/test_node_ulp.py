"""The ESP32 node's ULP program (hub_firmware/node/ulp.py): pulse counting and the AD220
keep-alive while the main cores deep-sleep.

- The binary the node builds equals what the micropython-esp32-ulp assembler (1e808ad) made of
  the reference source tests/firmware/ulp/ulp_node.S (stored as ulp_node.hex: that assembler is
  not installable from the registry here), built in CPython and under MicroPython.
- A fake ULP runs the binary instruction by instruction as the ESP32 technical reference manual
  describes the FSM co-processor (16-bit registers, ALU zero flag, LD/ST of word addresses, ST
  writing its PC into the high half-word, REG_RD/REG_WR on the RTC IO block), once per 5 ms tick,
  on bouncing inputs; the main CPU's counter reads the same memory.
"""

import struct
import sys
from pathlib import Path

import pytest
from mpy_run import ROOT, run_mpy

sys.path[:0] = [str(ROOT / "hub_firmware")]

from node import ulp  # noqa: E402

HERE = Path(__file__).resolve().parent
RTC_MEM = 0x50000000
BASE = RTC_MEM + 4 * ulp.DATA_WORD
INPUTS, KEEPALIVE = [4, 5, 9], 6  # RTC GPIOs of GPIO 34, 35, 32 and GPIO 25


class FakeUlp:
    """The ULP FSM: R0-R3 (16 bits), RTC slow memory as 32-bit words, the RTC IO block's input
    and output registers. `run()` is one wake-up: from word 0 until HALT."""

    def __init__(self, binary: bytes) -> None:
        magic, text_offset, size, data, bss = struct.unpack("<IHHHH", binary[:12])
        assert (magic, text_offset, data, bss) == (0x00706C75, 12, 0, 0)  # b"ulp\0", text only
        self.code = list(struct.unpack(f"<{size // 4}I", binary[12 : 12 + size]))
        self.mem: dict[int, int] = {}
        self.inputs = 0  # RTC_GPIO_IN bits 14 + n
        self.outputs = 0
        self.regs = [0, 0, 0, 0]
        self.zero = False
        self.instructions = 0

    def __getitem__(self, address: int) -> int:  # machine.mem32 for the main CPU's code
        return self.mem.get(address, 0)

    def __setitem__(self, address: int, value: int) -> None:
        self.mem[address] = value & 0xFFFFFFFF

    def _rtc_io(self, word: int) -> int:
        assert word == ulp.RTC_GPIO_IN
        return self.inputs

    def run(self) -> None:
        pc, regs = 0, self.regs
        for _ in range(1000):
            ins = self.code[pc]
            self.instructions += 1
            opcode, nxt = ins >> 28, pc + 1
            if opcode == ulp._HALT:
                return
            if opcode == ulp._ALU:
                rd, rs, sub, sel = ins & 3, ins >> 2 & 3, ins >> 25 & 7, ins >> 21 & 15
                b = regs[ins >> 4 & 3] if sub == 0 else ins >> 4 & 0xFFFF
                a = regs[rs]
                result = {0: a + b, 1: a - b, 2: a & b, 4: b if sub else a}[sel] & 0xFFFF
                regs[rd] = result
                self.zero = result == 0
            elif opcode == ulp._ST:
                at = RTC_MEM + 4 * ((regs[ins >> 2 & 3] + (ins >> 10 & 0x7FF)) & 0xFFFF)
                self.mem[at] = (pc & 0x7FF) << 21 | regs[ins & 3]  # high half: the PC (TRM)
            elif opcode == ulp._LD:
                at = RTC_MEM + 4 * ((regs[ins >> 2 & 3] + (ins >> 10 & 0x7FF)) & 0xFFFF)
                regs[ins & 3] = self.mem.get(at, 0) & 0xFFFF
            elif opcode == ulp._BRANCH and ins >> 25 & 7 == 0:  # JUMP (absolute, words)
                if (ins >> 22 & 7) == ulp._DIRECT or self.zero:
                    nxt = ins >> 2 & 0x7FF
            elif opcode == ulp._BRANCH:  # JUMPR (relative, on R0)
                offset = (ins >> 17 & 0x7F) * (-1 if ins >> 24 & 1 else 1)
                below = regs[0] < (ins & 0xFFFF)
                if below == ((ins >> 16 & 1) == ulp._LT):
                    nxt = pc + offset
            elif opcode == ulp._RD_REG:
                high, low = ins >> 23 & 31, ins >> 18 & 31
                regs[0] = self._rtc_io(ins & 0xFF) >> low & ((1 << (high - low + 1)) - 1)
            elif opcode == ulp._WR_REG:
                bit, value, word = ins >> 18 & 31, ins >> 10 & 0xFF, ins & 0xFF
                assert value == 1 and word in (ulp.RTC_GPIO_OUT_W1TS, ulp.RTC_GPIO_OUT_W1TC)
                if word == ulp.RTC_GPIO_OUT_W1TS:
                    self.outputs |= 1 << bit
                else:
                    self.outputs &= ~(1 << bit)
            else:
                raise AssertionError(f"unexpected instruction {ins:#010x}")
            pc = nxt
        raise AssertionError("no HALT")

    def set_input(self, index: int, level: int) -> None:
        bit = 1 << (ulp.RTC_GPIO_BIT0 + INPUTS[index])
        self.inputs = (self.inputs | bit) if level else (self.inputs & ~bit)

    @property
    def keepalive(self) -> int:
        return self.outputs >> (ulp.RTC_GPIO_BIT0 + KEEPALIVE) & 1


@pytest.fixture
def fake() -> FakeUlp:
    chip = FakeUlp(ulp.program(INPUTS, KEEPALIVE))
    ulp.reset_data(chip, BASE)
    for i in range(3):
        chip.set_input(i, 1)  # idle loops read high
    return chip


def run_samples(chip: FakeUlp, index: int, levels: str) -> None:
    """One ULP wake-up (5 ms) per character of `levels` ('0' closed, '1' open) on one input."""
    for level in levels:
        chip.set_input(index, int(level))
        chip.run()


def test_program_matches_the_reference_assembler() -> None:
    reference = (HERE / "ulp" / "ulp_node.hex").read_text().strip()
    assert ulp.program(INPUTS, KEEPALIVE).hex() == reference
    assert run_mpy("ulp_program.py")["program"] == reference  # as the node builds it


def test_debounced_closures_are_counted_once(fake: FakeUlp) -> None:
    counter = ulp.UlpCounter(fake, BASE, 1)
    closure = "0100000" + "1011111"  # each edge bounces for one sample, 35 ms low, 35 ms high
    run_samples(fake, 1, closure * 5)
    counter.poll(0)
    assert counter.count == 5
    assert [ulp.UlpCounter(fake, BASE, i).count for i in (0, 2)] == [0, 0]


def test_single_sample_glitches_never_count(fake: FakeUlp) -> None:
    run_samples(fake, 0, "10" * 20 + "1" * 4)  # 5 ms spikes (interference, bounce)
    counter = ulp.UlpCounter(fake, BASE, 0)
    counter.poll(0)
    assert counter.count == 0
    run_samples(fake, 0, "00111")  # two samples low: a closure
    counter.poll(0)
    assert counter.count == 1


def test_total_widens_the_16_bit_count_across_sleeps(fake: FakeUlp) -> None:
    """The ULP's count wraps at 65536 and its words carry the PC in the high half; the 32-bit
    total lives in RTC memory too, so a counter built after a deep-sleep wake continues it."""
    fake.mem[BASE + 4 * ulp.COUNT] = 0xFFFD
    fake.mem[BASE + 4 * ulp.LAST_RAW] = 0xFFFD
    before_wrap = ulp.UlpCounter(fake, BASE, 0)
    run_samples(fake, 0, "0011" * 5)
    assert fake.mem[BASE + 4 * ulp.COUNT] >> 16  # the ST wrote its PC above the count
    before_wrap.poll(0)
    assert before_wrap.count == 5
    after_sleep = ulp.UlpCounter(fake, BASE, 0)  # a fresh boot: only RTC memory is left
    run_samples(fake, 0, "0011" * 20)
    after_sleep.poll(0)
    assert after_sleep.count == 25  # a sleep may hold up to 65535 pulses: the node reports
    # every 900 s, at most 45,000 pulses at the ULP's 50 pulses/s (10 ms low, 10 ms high)


def test_keepalive_pulses_only_while_shed(fake: FakeUlp) -> None:
    levels = []
    for _ in range(4):
        fake.run()
        levels.append(fake.keepalive)
    ulp.KeepAlive(fake, BASE).value(1)
    for _ in range(6):
        fake.run()
        levels.append(fake.keepalive)
    ulp.KeepAlive(fake, BASE).value(0)
    fake.run()
    levels.append(fake.keepalive)
    assert levels == [0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0]  # 100 Hz while shed, low otherwise


def test_one_wake_up_is_short(fake: FakeUlp) -> None:
    """What the 8 uA of 'ULP sampling' in docs/node.md buys: 26 instructions a wake-up at rest
    (under 30 us at 8 MHz and up to 12 cycles each), 74 words of program."""
    fake.run()
    assert len(fake.code) == 74 and fake.instructions == 26
