"""Boards: wire the hub core (bhub) to hardware. `esp32` is the real hub, `sim` the host sim."""
