"""DigitLab: draw a digit, watch a neural network think, train it live."""
__version__ = "0.1.0"
