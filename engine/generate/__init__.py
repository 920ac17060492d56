"""Generated layers: a small sequence model (ONNX) that writes bass lines, arpeggios and counter-melodies
in the pack's key, over its chords. Only model.py imports onnxruntime; train.py (torch) is never imported
at run time.
"""
