"""The badge designer: an SVG badge drawn from a few choices (a shape, three colours, a
title, and one of the built-in icons or an uploaded picture).

The SVG it makes is an upload like any other: views hand it to the template services,
which pass it through the upload gate (`core.uploads.image_accept`) before it is stored;
an uploaded picture passes the gate on its own first, and is embedded as the re-encoded
pixels the gate returned. The PNG renditions are drawn from the stored SVG by the same
renderer as every SVG upload's (`core.uploads.render_svg_png`, resvg): nothing leaves the
server.

The parameters are kept on the template (`BadgeTemplate.design`) so that the designer
opens again where it was left.
"""

import base64
import math
import re
from dataclasses import asdict, dataclass
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.uploads import SVG, SVG_NS, AcceptedImage, ImageRefused, image_accept

CANVAS = 400
TITLE_MAX = 40
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

SHAPES = {
    "circle": gettext_lazy("Circle"),
    "shield": gettext_lazy("Shield"),
    "hexagon": gettext_lazy("Hexagon"),
    "ribbon": gettext_lazy("Rosette with ribbon"),
    "square": gettext_lazy("Rounded square"),
}


def _star_points(cx: float, cy: float, outer: float, inner: float) -> str:
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.2f} {cy - radius * math.sin(angle):.2f}")
    return "M" + " L".join(points) + " Z"


# The built-in icons, drawn on a 24×24 grid with round 2-unit strokes (`fill` ones are
# filled instead). Written for this project: no icon font, nothing fetched.
ICONS = {
    "star": (gettext_lazy("Star"), _star_points(12, 12.5, 10, 4.2), "fill"),
    "check": (gettext_lazy("Tick"), "M4 12.5 L9.5 18 L20 6", "stroke"),
    "book": (
        gettext_lazy("Book"),
        "M3 5 H9 A3 3 0 0 1 12 8 V20 A2.5 2.5 0 0 0 9.5 17.5 H3 Z "
        "M21 5 H15 A3 3 0 0 0 12 8 V20 A2.5 2.5 0 0 1 14.5 17.5 H21 Z",
        "stroke",
    ),
    "code": (gettext_lazy("Code"), "M8 7 L3 12 L8 17 M16 7 L21 12 L16 17 M14 4 L10 20", "stroke"),
    "heart": (
        gettext_lazy("Heart"),
        "M12 20.5 C5 15 2.5 12 2.5 8.5 A4.8 4.8 0 0 1 12 7 A4.8 4.8 0 0 1 21.5 8.5 "
        "C21.5 12 19 15 12 20.5 Z",
        "fill",
    ),
    "bulb": (
        gettext_lazy("Light bulb"),
        "M9 18 H15 M10 21 H14 M12 3 A6 6 0 0 0 8.5 13.9 C9.1 14.4 9.5 15.1 9.5 15.9 V16 "
        "H14.5 V15.9 C14.5 15.1 14.9 14.4 15.5 13.9 A6 6 0 0 0 12 3 Z",
        "stroke",
    ),
    "trophy": (
        gettext_lazy("Trophy"),
        "M7 4 H17 V9 A5 5 0 0 1 7 9 Z M7 6 H4 A3 3 0 0 0 7 10.5 M17 6 H20 A3 3 0 0 1 17 10.5 "
        "M12 14 V18 M8 21 H16 M9 18 H15",
        "stroke",
    ),
    "globe": (
        gettext_lazy("Globe"),
        "M12 3 A9 9 0 1 0 12.001 3 Z M3 12 H21 M12 3 C8.5 6.5 8.5 17.5 12 21 "
        "M12 3 C15.5 6.5 15.5 17.5 12 21",
        "stroke",
    ),
    "people": (
        gettext_lazy("People"),
        "M9 11 A3.5 3.5 0 1 0 9.001 11 Z M2.5 20 A6.5 6.5 0 0 1 15.5 20 "
        "M16 4.3 A3.5 3.5 0 0 1 16 11 M18 14 A6.5 6.5 0 0 1 21.5 20",
        "stroke",
    ),
    "none": (gettext_lazy("No icon"), "", "stroke"),
}


@dataclass(frozen=True)
class Design:
    shape: str = "circle"
    background: str = "#1f4e8c"
    accent: str = "#f2b705"
    text_colour: str = "#ffffff"
    title: str = ""
    icon: str = "star"

    def as_dict(self) -> dict:
        return asdict(self)


def design_clean(params: dict) -> Design:
    """The designer's choices checked, or an ApplicationError naming each wrong field."""
    defaults = Design().as_dict()
    values = {name: str(params.get(name) or default).strip() for name, default in defaults.items()}
    values["title"] = str(params.get("title") or "").strip()
    problems = {}
    if values["shape"] not in SHAPES:
        problems["shape"] = [_("Choose one of the shapes.")]
    if values["icon"] not in ICONS:
        problems["icon"] = [_("Choose one of the icons.")]
    for name in ("background", "accent", "text_colour"):
        if not COLOUR_RE.match(values[name]):
            problems[name] = [_("Give a colour as #rrggbb.")]
    if len(values["title"]) > TITLE_MAX:
        problems["title"] = [
            _("The title on the badge can have at most %(n)s characters.") % {"n": TITLE_MAX}
        ]
    if problems:
        raise ApplicationError(_("The badge design is not valid."), field_errors=problems)
    return Design(**values)


def _el(parent, tag: str, **attributes) -> ET.Element:
    return ET.SubElement(
        parent, f"{{{SVG_NS}}}{tag}", {k.replace("_", "-"): str(v) for k, v in attributes.items()}
    )


def _outline(parent, design: Design) -> None:
    """The shape, filled with the background and edged with the accent colour."""
    paint = {"fill": design.background, "stroke": design.accent, "stroke_width": 14}
    if design.shape == "circle":
        _el(parent, "circle", cx=200, cy=200, r=180, **paint)
    elif design.shape == "shield":
        _el(
            parent,
            "path",
            d="M200 22 L362 72 V190 C362 292 292 352 200 384 C108 352 38 292 38 190 V72 Z",
            **paint,
        )
    elif design.shape == "hexagon":
        points = " ".join(
            f"{200 + 182 * math.cos(math.pi / 6 + i * math.pi / 3):.1f},"
            f"{200 + 182 * math.sin(math.pi / 6 + i * math.pi / 3):.1f}"
            for i in range(6)
        )
        _el(parent, "polygon", points=points, **paint)
    elif design.shape == "ribbon":
        # Two tails behind a rosette.
        tail = {"fill": design.accent}
        _el(parent, "polygon", points="120,250 170,250 150,392 122,368 96,386", **tail)
        _el(parent, "polygon", points="230,250 280,250 304,386 278,368 250,392", **tail)
        _el(parent, "circle", cx=200, cy=180, r=160, **paint)
    else:
        _el(parent, "rect", x=26, y=26, width=348, height=348, rx=64, **paint)


def _title_lines(title: str) -> list[str]:
    """The title on one line, or two when it is long (split at the space nearest the
    middle)."""
    if len(title) <= 14 or " " not in title:
        return [title] if title else []
    middle = len(title) / 2
    spaces = [i for i, c in enumerate(title) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return [title[:cut].strip(), title[cut + 1 :].strip()]


def _title(parent, design: Design, centre_y: float) -> None:
    lines = _title_lines(design.title)
    if not lines:
        return
    longest = max(len(line) for line in lines)
    size = max(14, min(36, int(430 / max(longest, 1))))
    first = centre_y - (len(lines) - 1) * size * 0.55
    for i, line in enumerate(lines):
        text = _el(
            parent,
            "text",
            x=200,
            y=f"{first + i * size * 1.1:.1f}",
            text_anchor="middle",
            dominant_baseline="middle",
            font_family="DejaVu Sans, sans-serif",
            font_weight="bold",
            font_size=size,
            fill=design.text_colour,
        )
        text.text = line


def _icon(parent, design: Design, centre_y: float, size: float) -> None:
    _label, path, paint = ICONS[design.icon]
    if not path:
        return
    scale = size / 24
    group = _el(
        parent,
        "g",
        transform=f"translate({200 - size / 2:.1f} {centre_y - size / 2:.1f}) scale({scale:.3f})",
    )
    if paint == "fill":
        _el(group, "path", d=path, fill=design.text_colour)
    else:
        _el(
            group,
            "path",
            d=path,
            fill="none",
            stroke=design.text_colour,
            stroke_width=2,
            stroke_linecap="round",
            stroke_linejoin="round",
        )


def _picture(parent, picture, centre_y: float, size: float) -> None:
    """The picture the gate accepted, cut to a circle."""
    defs = _el(parent, "defs")
    clip = _el(defs, "clipPath", id="picture-clip")
    _el(clip, "circle", cx=200, cy=f"{centre_y:.1f}", r=f"{size / 2:.1f}")
    href = f"data:{picture.content_type};base64,{base64.b64encode(picture.data).decode()}"
    _el(
        parent,
        "image",
        href=href,
        x=f"{200 - size / 2:.1f}",
        y=f"{centre_y - size / 2:.1f}",
        width=f"{size:.1f}",
        height=f"{size:.1f}",
        preserveAspectRatio="xMidYMid slice",
        clip_path="url(#picture-clip)",
    )


def picture_accept(picture) -> AcceptedImage:
    """A picture for the designer (an upload, a stored file or bytes) through the upload
    gate: a PNG, JPEG or WebP, or an ApplicationError on the `picture` field."""
    try:
        accepted = image_accept(picture)
    except ImageRefused as exc:
        raise ApplicationError(exc.message, field_errors={"picture": [exc.message]}) from None
    if accepted.type is SVG:
        raise ApplicationError(
            _("The badge's picture must be a PNG, JPEG or WebP image."),
            field_errors={"picture": [_("Use a PNG, JPEG or WebP picture.")]},
        )
    return accepted


def design_svg(design: Design, picture=None) -> bytes:
    """The SVG of `design`; `picture` (see `picture_accept`) replaces the icon. The SVG
    that comes out still goes through the gate again where it is stored."""
    if picture is not None:
        picture = picture_accept(picture)
    root = ET.Element(
        f"{{{SVG_NS}}}svg",
        {
            "width": str(CANVAS),
            "height": str(CANVAS),
            "viewBox": f"0 0 {CANVAS} {CANVAS}",
        },
    )
    title = _el(root, "title")
    title.text = design.title or _("Badge")
    _outline(root, design)
    # Where the picture or icon and the title sit inside each shape.
    centre = {"ribbon": 180, "shield": 190}.get(design.shape, 200)
    has_title = bool(design.title)
    art_y = centre - 45 if has_title else centre
    art_size = 150 if picture is not None else 130
    if not has_title:
        art_size += 60
    if picture is not None:
        _picture(root, picture, art_y, art_size)
    else:
        _icon(root, design, art_y, art_size)
    _title(root, design, centre + 85 if picture is not None else centre + 75)
    return ET.tostring(root, encoding="unicode").encode("utf-8")
