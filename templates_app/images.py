"""Badge images: the three renditions of a template version.

Every upload has passed the upload gate (`core.uploads.image_accept`) before it gets
here: a PNG, JPEG or WebP re-encoded from its pixels, or a sanitised SVG. A template
version then gets, once, the three sizes the Open Badge API names (`image_path`,
`image_high_path`, `image_thumbnail_path`):

- raster uploads: three PNGs drawn with Pillow, fitted into 400, 1024 and 96 pixels (never
  enlarged: enlarging adds no detail). PNG because Open Badges images are PNG or SVG and
  only those can be baked; re-encoding also drops whatever chunks the upload carried
  (an upload that was itself a baked badge would otherwise carry someone's assertion).
- SVG uploads: the standard image stays the sanitised SVG (it scales to any size and is
  baked as SVG); the high-resolution and thumbnail renditions are PNGs drawn by resvg
  (PyPI `resvg-py`, a self-contained wheel: no system library), for places that cannot
  show SVG (e-mail clients, social networks' link previews).
"""

from dataclasses import dataclass
from io import BytesIO

from PIL import Image

from core.uploads import SVG, AcceptedImage, render_svg_png

# Longest side of each rendition, in pixels.
STANDARD_SIZE = 400
HIGH_SIZE = 1024
THUMBNAIL_SIZE = 96


@dataclass(frozen=True)
class Renditions:
    image: bytes  # the standard image: PNG, or the sanitised SVG
    image_ext: str  # ".png" or ".svg"
    high: bytes  # PNG
    thumbnail: bytes  # PNG


def make_renditions(image: AcceptedImage) -> Renditions:
    """The three sizes of an image the upload gate accepted."""
    if image.type is SVG:
        return Renditions(
            image=image.data,
            image_ext=SVG.ext,
            high=render_svg_png(image.data, HIGH_SIZE),
            thumbnail=render_svg_png(image.data, THUMBNAIL_SIZE),
        )
    with Image.open(BytesIO(image.data)) as img:
        img.seek(0)  # the first frame of an animation
        source = img.convert("RGBA" if _has_alpha(img) else "RGB")
        icc = img.info.get("icc_profile")
    return Renditions(
        image=_fitted_png(source, STANDARD_SIZE, icc),
        image_ext=".png",
        high=_fitted_png(source, HIGH_SIZE, icc),
        thumbnail=_fitted_png(source, THUMBNAIL_SIZE, icc),
    )


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info


def _fitted_png(source: Image.Image, size: int, icc: bytes | None) -> bytes:
    img = source.copy()
    img.thumbnail((size, size), Image.Resampling.LANCZOS)  # keeps the aspect, never enlarges
    out = BytesIO()
    # Only the pixels (and the colour profile they need) are written: no text chunks.
    options = {"icc_profile": icc} if icc else {}
    img.save(out, format="PNG", **options)
    return out.getvalue()


# The PNG sizes the template pages offer for download.
EXPORT_SIZES = (96, 256, 512, 1024)


def version_png(version, size: int) -> bytes:
    """The version's badge as a PNG fitted into size×size: drawn again from the SVG (any
    size, sharp), or fitted from the stored PNG (never enlarged)."""
    with version.image.open("rb") as file:
        data = file.read()
    if version.image.name.lower().endswith(SVG.ext):
        return render_svg_png(data, size)
    with Image.open(BytesIO(data)) as img:
        source = img.convert("RGBA" if _has_alpha(img) else "RGB")
        icc = img.info.get("icc_profile")
    return _fitted_png(source, size, icc)
