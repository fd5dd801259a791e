"""ESP32 entry point: run the BALANCE hub (boards/esp32.py). Copied to the board's root."""

from boards.esp32 import main

main()
