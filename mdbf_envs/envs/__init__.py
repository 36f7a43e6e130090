"""PettingZoo environments and Gymnasium single-agent views."""
