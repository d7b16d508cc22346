"""Looking inside a network: explain, gradcheck, learning speed, plots."""
