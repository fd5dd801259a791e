"""Firmware of a D100FC-class radio node (docs/node.md): node.py logic, boards/ hardware."""
