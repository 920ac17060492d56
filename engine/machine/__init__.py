"""The pure core: the authored state machine (model, its transition table, what each state can start next:
reach.py) and the runtime that plays it (playback, desk, layers), with the planner of what audio must be
resident (planner.py, residency.py). No audio, no files, no sockets: tests/test_architecture.py keeps it so.
The loader that reads a machine from disk is engine/score."""
