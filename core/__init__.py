"""The pure domain core of micromentor: no I/O, no clock, no network."""
