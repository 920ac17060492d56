"""The pure core: the authored state machine (model, its transition table) and the runtime that plays it
(playback, desk, layers). No audio, no files, no sockets: tests/test_architecture.py keeps it so. The loader
that reads a machine from disk is engine/score."""
