"""The network's pieces: activations, costs, initial weights and the layers."""
