"""The backend: everything that needs torch, numpy or OpenCV. Never imports inkex."""
