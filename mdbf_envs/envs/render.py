"""Matplotlib rendering for the envs: ``"rgb_array"`` returns frames, ``"human"`` shows them."""

from __future__ import annotations

import numpy as np


def new_figure(render_mode: str, figsize: tuple[float, float]):
    """A figure: off-screen for ``rgb_array``, a pyplot window (reused) for ``human``."""
    if render_mode == "human":
        import matplotlib.pyplot as plt

        fig = plt.figure("mdbf_envs", figsize=figsize)
        fig.clear()
        return fig
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def finish(fig, render_mode: str) -> np.ndarray | None:
    """``(H, W, 3)`` uint8 pixels for ``rgb_array``; draw the window and return None for ``human``."""
    fig.tight_layout()  # axis labels inside the frame
    if render_mode == "human":
        import matplotlib.pyplot as plt

        fig.canvas.draw_idle()
        plt.pause(0.001)
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
