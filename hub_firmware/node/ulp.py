"""ULP program of the ESP32 node: pulse counting and the AD220 keep-alive during deep sleep.

The ULP (the ESP32's RTC co-processor) runs this every 5 ms while the main cores sleep
(docs/node.md, "Pulse counting in deep sleep"):
- each input (an RTC GPIO) is read, and a level that differs from the debounced one for
  CONFIRM_SAMPLES readings in a row becomes the new level; a new low level (contact closed)
  adds one to the input's 16-bit count;
- while the shed flag is set, the keep-alive pin toggles (100 Hz), so the AD220's
  retriggerable timer holds the contactor coil; the pin stays low otherwise.

The program is built here, on the node, from the instruction layouts of the ESP32 technical
reference manual (no toolchain on the board), with the ULP binary header `load_binary`
expects. Its data words sit in RTC slow memory at DATA_WORD (word address); the ULP's ST
writes the 16-bit value to the low half of a word and its own PC to the high half, so readers
mask with 0xFFFF (`UlpCounter`).
"""

import struct

CONFIRM_SAMPLES = 2  # 10 ms at 5 ms: bounce shorter than one sample never counts
DATA_WORD = 0x100  # 0x50000400, inside the ULP's reserved RTC slow memory, after the program
MAX_INPUTS = 3
# Data words, relative to DATA_WORD.
COUNT, STABLE, PENDING = 0, MAX_INPUTS, 2 * MAX_INPUTS  # one word per input each
SHED = 3 * MAX_INPUTS
PHASE = SHED + 1
LAST_RAW = PHASE + 1  # main CPU: the count last widened, per input
TOTAL = LAST_RAW + MAX_INPUTS  # main CPU: the 32-bit total (two words: low, high), per input
DATA_WORDS = TOTAL + 2 * MAX_INPUTS

RTC_IO_PERIPH = 1  # periph_sel of REG_RD / REG_WR for DR_REG_RTCIO_BASE (0x3FF48400)
RTC_GPIO_OUT_W1TS = 0x01  # register word offsets in the RTC IO block
RTC_GPIO_OUT_W1TC = 0x02
RTC_GPIO_IN = 0x09
RTC_GPIO_BIT0 = 14  # RTC GPIO n is bit 14 + n of RTC_GPIO_IN / OUT

_ALU, _ST, _LD, _BRANCH, _HALT, _RD_REG, _WR_REG = 7, 6, 13, 8, 11, 2, 1
_ADD, _SUB, _AND, _MOV = 0, 1, 2, 4
_LT, _GE = 0, 1
_DIRECT, _ZERO = 0, 1


def alu_reg(sel, rd, rs, rt):
    return rd | rs << 2 | rt << 4 | sel << 21 | _ALU << 28


def alu_imm(sel, rd, rs, imm):
    return rd | rs << 2 | (imm & 0xFFFF) << 4 | sel << 21 | 1 << 25 | _ALU << 28


def move_reg(rd, rs):
    return alu_reg(_MOV, rd, rs, rs)  # the source in both operand fields, as binutils does


def move_imm(rd, imm):
    return alu_imm(_MOV, rd, 0, imm)


def st(rs, rd, offset):
    """Mem[rd + offset] = rs (offset in words)."""
    return rs | rd << 2 | offset << 10 | 4 << 25 | _ST << 28


def ld(rd, rs, offset):
    """rd = Mem[rs + offset] & 0xFFFF (offset in words)."""
    return rd | rs << 2 | offset << 10 | _LD << 28


def jump(target, condition):
    """To word `target`, always (_DIRECT) or if the last ALU result was zero (_ZERO)."""
    return target << 2 | condition << 22 | _BRANCH << 28


def jumpr(offset, threshold, compare):
    """By `offset` words from this instruction if R0 < threshold (_LT) or >= (_GE)."""
    sign = 1 if offset < 0 else 0
    return threshold | compare << 16 | abs(offset) << 17 | sign << 24 | 1 << 25 | _BRANCH << 28


def reg_rd(address, bit):
    """R0 = one bit of an RTC IO register."""
    return address | RTC_IO_PERIPH << 8 | bit << 18 | bit << 23 | _RD_REG << 28


def reg_wr(address, bit, value):
    return address | RTC_IO_PERIPH << 8 | value << 10 | bit << 18 | bit << 23 | _WR_REG << 28


def halt():
    return _HALT << 28


class _Program:
    """Instructions with forward labels: ("jump", label, cond) and ("jumpr", label, imm, cmp)
    are resolved when the program is packed."""

    def __init__(self):
        self.code = []
        self.labels = {}

    def add(self, *words):
        self.code.extend(words)

    def label(self, name):
        self.labels[name] = len(self.code)

    def pack(self):
        words = []
        for pc, item in enumerate(self.code):
            if isinstance(item, tuple):
                at = self.labels[item[1]]
                item = jump(at, item[2]) if item[0] == "jump" else jumpr(at - pc, item[2], item[3])
            words.append(item)
        text = struct.pack("<%dI" % len(words), *words)
        return struct.pack("<IHHHH", 0x00706C75, 12, len(text), 0, 0) + text  # b"ulp\0"


def program(input_channels, keepalive_channel):
    """ULP binary for inputs on RTC GPIOs `input_channels` and the keep-alive on RTC GPIO
    `keepalive_channel`; entry at word 0."""
    p = _Program()
    p.add(move_imm(3, DATA_WORD))
    for i, channel in enumerate(input_channels[:MAX_INPUTS]):
        same, done = "same%d" % i, "done%d" % i
        p.add(reg_rd(RTC_GPIO_IN, RTC_GPIO_BIT0 + channel), move_reg(1, 0),
              ld(2, 3, STABLE + i), alu_reg(_SUB, 0, 1, 2), ("jump", same, _ZERO),
              ld(0, 3, PENDING + i), alu_imm(_ADD, 0, 0, 1), st(0, 3, PENDING + i),
              ("jumpr", done, CONFIRM_SAMPLES, _LT),
              st(1, 3, STABLE + i), move_imm(0, 0), st(0, 3, PENDING + i), move_reg(0, 1),
              ("jumpr", done, 1, _GE),  # opened: no count
              ld(0, 3, COUNT + i), alu_imm(_ADD, 0, 0, 1), st(0, 3, COUNT + i),
              ("jump", done, _DIRECT))  # fmt: skip
        p.label(same)
        p.add(move_imm(0, 0), st(0, 3, PENDING + i))
        p.label(done)
    bit = RTC_GPIO_BIT0 + keepalive_channel
    p.add(ld(0, 3, SHED), ("jumpr", "idle", 1, _LT),
          ld(0, 3, PHASE), alu_imm(_ADD, 0, 0, 1), st(0, 3, PHASE), alu_imm(_AND, 0, 0, 1),
          ("jump", "low", _ZERO), reg_wr(RTC_GPIO_OUT_W1TS, bit, 1), halt())  # fmt: skip
    p.label("low")
    p.add(reg_wr(RTC_GPIO_OUT_W1TC, bit, 1), halt())
    p.label("idle")
    p.add(reg_wr(RTC_GPIO_OUT_W1TC, bit, 1), halt())
    return p.pack()


def reset_data(mem, base):
    """Cold boot: counts, totals and the shed flag 0, every input's level high (idle loop).
    `mem` is machine.mem32 (or a fake of it), `base` the byte address of DATA_WORD."""
    for word in range(DATA_WORDS):
        mem[base + 4 * word] = 1 if STABLE <= word < STABLE + MAX_INPUTS else 0


class UlpCounter:
    """Pulse count of input `index`: the ULP's 16-bit count widened into a 32-bit total in RTC
    slow memory as well, so it survives every deep-sleep wake (each one a fresh boot)."""

    def __init__(self, mem, base, index):
        self._mem = mem
        self._raw = base + 4 * (COUNT + index)
        self._last = base + 4 * (LAST_RAW + index)
        self._total = base + 4 * (TOTAL + 2 * index)  # two 16-bit halves: ST-safe words

    @property
    def count(self):
        return (self._mem[self._total] & 0xFFFF) | (self._mem[self._total + 4] & 0xFFFF) << 16

    def poll(self, now_us):
        raw = self._mem[self._raw] & 0xFFFF  # the high half holds the ULP's PC
        step = (raw - (self._mem[self._last] & 0xFFFF)) & 0xFFFF
        self._mem[self._last] = raw
        total = (self.count + step) & 0xFFFFFFFF
        self._mem[self._total] = total & 0xFFFF
        self._mem[self._total + 4] = total >> 16


class KeepAlive:
    """AD220 input: while 1 (shed) the ULP pulses the keep-alive pin; the AD220's retriggerable
    timer holds the contactor coil only while the pulses come, so a dead node powers the load."""

    def __init__(self, mem, base):
        self._mem = mem
        self._shed = base + 4 * SHED

    def value(self, level):
        self._mem[self._shed] = 1 if level else 0
