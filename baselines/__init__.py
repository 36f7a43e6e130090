"""Scripted reporting strategies and reproductions of the papers' experiments."""
