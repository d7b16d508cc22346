"""Exits into other tools: ONNX and PyTorch."""
