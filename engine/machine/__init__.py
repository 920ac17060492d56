"""The pure core: the authored state machine, its loader and its runtime. No audio, no sockets."""
