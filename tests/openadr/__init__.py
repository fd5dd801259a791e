"""OpenADR 3 VEN tests and the local VTN."""
