"""LayerVec's progress window (GTK 3 through PyGObject), shown while the backend runs.

It shows which bitmap ("2 of 5"), the stage, a progress bar, the time spent and an estimate of the
time left, and the bitmap beside the vector result so far (the backend's preview PNGs); Cancel,
Escape and closing it end the backend at once. It runs in the effect's own process: the GTK main
loop turns while the backend works, its timer reads the backend's messages.

Quiet fallback: no window — and no word about it — when the dialog's switch is off, when Inkscape
runs without its window or with ``--batch-process``, when there is no display, or when GTK or
PyGObject is missing (:func:`wanted`, :func:`open_window`). Importing this module loads only the
standard library; GTK is imported when a window is opened. Everything GTK prints while the window
is open goes to ``$LAYERVEC_GTK_LOG`` or nowhere: any stderr output opens a dialog in Inkscape.

``inkex.gui`` (inkex ≥ 1.2) wraps the same GTK for windows built from Glade files that run their own
main loop; this window's loop must end when the backend does, so it uses GTK directly.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from layervec_ext import protocol

if TYPE_CHECKING:
    from layervec_ext.inkscape.backend import BackendRun

IMAGE_BOX = 280  # pixels: the bitmap and the preview are each fitted into a square this big
TICK_MS = 100  # how often the window reads the backend's messages and redraws the clock
OFF = ("0", "no", "off", "false")
ON = ("1", "yes", "on", "true")

# Inkscape arguments that make it run without its window (unless --with-gui): then no window here.
_COMMAND_LINE_MODE = ("--export", "--actions", "--action-list", "--pipe", "--query", "--shell", "--print",
                      "--vacuum-defs", "--version", "--help", "--system-data-directory", "--user-data-directory")
_COMMAND_LINE_SHORT = ("-o", "-p", "-a", "-d", "-w", "-h", "-i", "-j", "-l", "-C", "-D", "-S", "-I", "-X", "-Y",
                       "-W", "-H", "-T", "-V", "-?")


def inkscape_command_lines() -> list[list[str]] | None:
    """The command lines of the Inkscape processes that started us: those in our process group
    (Inkscape's children keep its group; their parent is not Inkscape, which spawns through an
    intermediate). ``None`` where ``/proc`` can't tell (not Linux)."""
    if not os.path.isdir("/proc/self"):
        return None
    group, found = os.getpgrp(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != group:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
        except (OSError, IndexError, ValueError):
            continue
        if argv and os.path.basename(argv[0]).lower().startswith("inkscape"):
            found.append(argv)
    return found


def inkscape_has_window(argv: list[str]) -> bool:
    """Whether an Inkscape run with these arguments shows its window and is not a batch run: as
    Inkscape decides, command-line options turn the GUI off unless ``--with-gui``."""
    args = argv[1:]
    if "--batch-process" in args:
        return False
    if "--with-gui" in args or "-g" in args:
        return True
    return not any(a.startswith(_COMMAND_LINE_MODE) or a in _COMMAND_LINE_SHORT for a in args)


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a window is wanted here: Inkscape has its own (no batch run), and there is a display.

    ``LAYERVEC_WINDOW=0`` never opens one; ``=1`` opens one whenever there is a display, also when
    the effect was not started by Inkscape (a test, a script)."""
    force = environ.get("LAYERVEC_WINDOW", "").strip().lower()
    if force in OFF:
        return False
    x11_like = os.name == "posix" and sys.platform != "darwin"
    if x11_like and not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        return False
    if force in ON:
        return True
    lines = inkscape_command_lines()
    if lines is None:  # no /proc: Windows, macOS — a batch run can't be told apart; assume the GUI
        return True
    return bool(lines) and all(inkscape_has_window(argv) for argv in lines)


class _QuietStderr:
    """fd 2 pointed at ``$LAYERVEC_GTK_LOG`` (or the null device) until :meth:`restore`: GTK and
    GLib warnings would otherwise reach Inkscape, which shows any stderr output in a dialog."""

    def __init__(self) -> None:
        sys.stderr.flush()
        self.saved = os.dup(2)
        target = os.open(os.environ.get("LAYERVEC_GTK_LOG") or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(target, 2)
        os.close(target)

    def restore(self) -> None:
        if self.saved is not None:
            sys.stderr.flush()
            os.dup2(self.saved, 2)
            os.close(self.saved)
            self.saved = None


def open_window(total: int) -> ProgressWindow | None:
    """A window for ``total`` bitmaps, or ``None`` when GTK can't give one (not installed, no
    display it can open): the run then goes on without, saying nothing."""
    quiet = _QuietStderr()
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        gi.require_version("Gdk", "3.0")
        gi.require_version("GdkPixbuf", "2.0")
        from gi.repository import Gdk, GdkPixbuf, GLib, Gtk

        if not Gtk.init_check(sys.argv[:1])[0] or Gdk.Screen.get_default() is None:
            raise RuntimeError("no display GTK can open")
        return ProgressWindow(total, quiet, Gtk, Gdk, GdkPixbuf, GLib)
    except Exception:  # ImportError, ValueError (no GTK 3 typelib), RuntimeError, GLib.Error
        quiet.restore()
        return None


def clock(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``."""
    seconds = int(round(max(0.0, seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def time_left(elapsed: float, fraction: float) -> str:
    """The estimate the window shows: the time so far scaled by what is left (once there is enough
    to go by)."""
    if fraction <= 0.02 or elapsed < 1.0:
        return "estimating the time left…"
    if fraction >= 1.0:
        return "finishing…"
    return f"about {clock(elapsed * (1.0 - fraction) / fraction)} left"


class ProgressWindow:
    """One window for the whole effect run; :meth:`follow` shows one backend run to its end."""

    def __init__(self, total: int, quiet: _QuietStderr, Gtk, Gdk, GdkPixbuf, GLib):
        self.Gtk, self.Gdk, self.GdkPixbuf, self.GLib = Gtk, Gdk, GdkPixbuf, GLib
        self.total, self.quiet = total, quiet
        self.run = None
        win = self.win = Gtk.Window(title="LayerVec")
        win.set_default_size(2 * IMAGE_BOX + 60, -1)
        win.set_position(Gtk.WindowPosition.CENTER)
        win.set_keep_above(True)
        win.set_type_hint(Gdk.WindowTypeHint.DIALOG)
        win.connect("delete-event", self._on_delete)
        win.connect("key-press-event", self._on_key)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=10, margin=14)
        win.add(box)
        self.heading = Gtk.Label(xalign=0.0)
        box.pack_start(self.heading, False, False, 0)
        images = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12, homogeneous=True)
        box.pack_start(images, True, True, 0)
        self.bitmap, self.bitmap_caption = self._image_frame(images, "Bitmap")
        self.preview, self.preview_caption = self._image_frame(images, "Vector result so far")
        self.stage = Gtk.Label(xalign=0.0, label="starting the backend…")
        self.stage.set_ellipsize(3)  # Pango.EllipsizeMode.END
        box.pack_start(self.stage, False, False, 0)
        self.bar = Gtk.ProgressBar(show_text=True)
        box.pack_start(self.bar, False, False, 0)
        self.times = Gtk.Label(xalign=0.0)
        box.pack_start(self.times, False, False, 0)
        buttons = Gtk.ButtonBox(orientation=Gtk.Orientation.HORIZONTAL, layout_style=Gtk.ButtonBoxStyle.END)
        self.cancel_button = Gtk.Button.new_with_mnemonic("_Cancel")
        self.cancel_button.connect("clicked", lambda _button: self.cancel())
        buttons.pack_start(self.cancel_button, False, False, 0)
        box.pack_start(buttons, False, False, 0)

    def _image_frame(self, parent, caption: str):
        Gtk = self.Gtk
        column = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=4)
        frame = Gtk.Frame()
        image = Gtk.Image()
        image.set_size_request(IMAGE_BOX, IMAGE_BOX)
        frame.add(image)
        label = Gtk.Label(label=caption)
        column.pack_start(frame, True, True, 0)
        column.pack_start(label, False, False, 0)
        parent.pack_start(column, True, True, 0)
        return image, label

    # -- one backend run ----------------------------------------------------------------------
    def follow(self, run: BackendRun, name: str, index: int, bitmap_path: str, timeout: float,
               verb: str = "Vectorizing") -> None:
        """Show ``run`` (a :class:`~layervec_ext.inkscape.backend.BackendRun`) on the ``index``-th
        bitmap (from 0) until its process exits. Cancel ends it (``run.result()`` then raises
        ``Cancelled``); past ``timeout`` seconds it is killed and :class:`TimeoutError` raised.
        ``verb``: what the heading says is happening to ``name`` (the refine effect: "Refining")."""
        Gtk, GLib = self.Gtk, self.GLib
        self.run, self.started, self.fraction, self.timed_out = run, time.monotonic(), 0.0, False
        self.timeout = timeout
        of = f" ({index + 1} of {self.total})" if self.total > 1 else ""
        self.win.set_title(f"LayerVec — {name}{of}")
        self.heading.set_markup(f"<b>{GLib.markup_escape_text(verb)} “{GLib.markup_escape_text(name)}”</b>"
                                + (f" — bitmap {index + 1} of {self.total}" if self.total > 1 else ""))
        self._show_picture(self.bitmap, bitmap_path)
        self.preview.clear()
        self.preview_caption.set_text("Vector result so far")
        self.stage.set_text("starting the backend…")
        self.bar.set_fraction(0.0)
        self.bar.set_text("0 %")
        self._tick_clock()
        self.win.show_all()
        self.timer = GLib.timeout_add(TICK_MS, self._tick)
        try:
            Gtk.main()
        finally:
            if self.timer is not None:
                GLib.source_remove(self.timer)
                self.timer = None
            self.run = None
        if self.timed_out:
            raise TimeoutError(timeout)

    def _tick(self) -> bool:
        keep = self._update()
        if not keep:
            self.timer = None  # returning False removes the timer
        return keep

    def _update(self) -> bool:
        run = self.run
        if run is None:
            return False
        for message in run.poll():
            if isinstance(message, protocol.Progress):
                self.fraction = min(1.0, max(self.fraction, message.fraction))
                self.stage.set_text(message.stage)
                self.bar.set_fraction(self.fraction)
                self.bar.set_text(f"{self.fraction * 100:.0f} %")
            elif isinstance(message, protocol.Preview):
                if self._show_picture(self.preview, message.path):
                    self.preview_caption.set_text(f"Vector result so far: {message.paths} paths")
        self._tick_clock()
        if not run.running():
            self.Gtk.main_quit()
            return False
        if time.monotonic() - self.started > self.timeout:
            self.timed_out = True
            run.kill()
            self.Gtk.main_quit()
            return False
        return True

    def _tick_clock(self) -> None:
        elapsed = time.monotonic() - self.started
        self.times.set_text(f"{clock(elapsed)} elapsed, {time_left(elapsed, self.fraction)}")

    def _show_picture(self, image, path: str) -> bool:
        """``path`` fitted into the image's square (over a checkerboard, for transparency); False
        when GdkPixbuf can't read it (a format it lacks, a preview being replaced)."""
        GdkPixbuf = self.GdkPixbuf
        try:
            pixbuf = GdkPixbuf.Pixbuf.new_from_file(path)
        except Exception:
            return False
        w, h = pixbuf.get_width(), pixbuf.get_height()
        scale = min(IMAGE_BOX / w, IMAGE_BOX / h)
        size = max(1, round(w * scale)), max(1, round(h * scale))
        interp = GdkPixbuf.InterpType.NEAREST if scale >= 2 else GdkPixbuf.InterpType.BILINEAR
        image.set_from_pixbuf(pixbuf.composite_color_simple(*size, interp, 255, 8, 0xFFFFFF, 0xD8D8D8))
        return True

    # -- ways out -----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel, Escape, closing the window: the backend is gone when this returns."""
        if self.run is not None:
            self.run.cancel()
            self.stage.set_text("cancelled")
            self.Gtk.main_quit()
            self.run = None

    def _on_key(self, _widget, event) -> bool:
        if event.keyval == self.Gdk.KEY_Escape:
            self.cancel()
            return True
        return False

    def _on_delete(self, _widget, _event) -> bool:
        self.cancel()
        return True  # the window stays until close(): the effect may still be tidying up

    def close(self) -> None:
        """Gone from the screen, GTK's output back on stderr."""
        try:
            self.win.destroy()
            while self.Gtk.events_pending():
                self.Gtk.main_iteration_do(False)
        finally:
            self.quiet.restore()
