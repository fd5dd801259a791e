"""433 MHz radio for D100FC-class nodes: air frame format, CC1101 driver, router (docs/hub-radio.md)."""
