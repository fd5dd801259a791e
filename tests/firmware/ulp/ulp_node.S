# Reference source of hub_firmware/node/ulp.py program([4, 5, 9], 6), in the syntax of the
# ESP32 ULP binutils; tests/firmware/test_node_ulp.py holds what micropython-esp32-ulp makes of it.
.set DATA, 0x100
entry:
    move r3, DATA
    reg_rd 0x3ff48424, 18, 18
    move r1, r0
    ld r2, r3, 12
    sub r0, r1, r2
    jump same0, eq
    ld r0, r3, 24
    add r0, r0, 1
    st r0, r3, 24
    jumpr done0, 2, lt
    st r1, r3, 12
    move r0, 0
    st r0, r3, 24
    move r0, r1
    jumpr done0, 1, ge
    ld r0, r3, 0
    add r0, r0, 1
    st r0, r3, 0
    jump done0
same0:
    move r0, 0
    st r0, r3, 24
done0:
    reg_rd 0x3ff48424, 19, 19
    move r1, r0
    ld r2, r3, 16
    sub r0, r1, r2
    jump same1, eq
    ld r0, r3, 28
    add r0, r0, 1
    st r0, r3, 28
    jumpr done1, 2, lt
    st r1, r3, 16
    move r0, 0
    st r0, r3, 28
    move r0, r1
    jumpr done1, 1, ge
    ld r0, r3, 4
    add r0, r0, 1
    st r0, r3, 4
    jump done1
same1:
    move r0, 0
    st r0, r3, 28
done1:
    reg_rd 0x3ff48424, 23, 23
    move r1, r0
    ld r2, r3, 20
    sub r0, r1, r2
    jump same2, eq
    ld r0, r3, 32
    add r0, r0, 1
    st r0, r3, 32
    jumpr done2, 2, lt
    st r1, r3, 20
    move r0, 0
    st r0, r3, 32
    move r0, r1
    jumpr done2, 1, ge
    ld r0, r3, 8
    add r0, r0, 1
    st r0, r3, 8
    jump done2
same2:
    move r0, 0
    st r0, r3, 32
done2:
    ld r0, r3, 36
    jumpr idle, 1, lt
    ld r0, r3, 40
    add r0, r0, 1
    st r0, r3, 40
    and r0, r0, 1
    jump low, eq
    reg_wr 0x3ff48404, 20, 20, 1
    halt
low:
    reg_wr 0x3ff48408, 20, 20, 1
    halt
idle:
    reg_wr 0x3ff48408, 20, 20, 1
    halt
