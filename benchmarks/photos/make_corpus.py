#!/usr/bin/env python3
"""Makes an ImageNet-like photo folder for benchmarks, the way ../shared/data/photo-sample was made.

Each image is a random crop of one of ten public-domain sample photographs shipped with Debian's python3-skimage
(the class), resized so its shorter side is 250-1,000 px (mean about 400) with an aspect ratio of 3:4 to 4:3, with
mild noise so JPEG entropy is a photo's rather than an upscaled blur's, saved as JPEG quality 80-95; about 2 % are
greyscale JPEGs and 1 % PNGs. Layout: OUT/<class>/<n>.jpg|png ("ImageFolder").

    /usr/bin/python3 benchmarks/photos/make_corpus.py --out /tmp/photos --count 5000 --seed 1

With --from DIR (a folder of photos, one subfolder per class, e.g. /work/shared/data/photo-sample when Debian's
python3-skimage is not installed), each image is a random crop of a random photo of its class from there instead, and
the kinds of JPEG are mixed the way scraped photo sets mix them: besides the baseline 4:2:0 files, about 4 % are
progressive and 4 % are 4:4:4.

Uses only numpy and PIL (Debian: python3-numpy python3-pil python3-skimage). Don't tune to one seed: the
benchmarks in benchmarks/results/ say which seed they used.
"""
import argparse
import os

import numpy as np
from PIL import Image

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
CLASSES = {
    "astronaut": "astronaut.png", "camera": "camera.png", "cat": "chelsea.png", "coffee": "coffee.png",
    "galaxy": "hubble_deep_field.jpg", "gravel": "gravel.png", "motorcycle": "motorcycle_left.png",
    "retina": "retina.jpg", "rocket": "rocket.jpg", "tissue": "ihc.png",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--from", dest="source", help="a folder of photos, one subfolder per class, to crop from instead of skimage's")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.source:
        names = sorted(d for d in os.listdir(args.source) if os.path.isdir(os.path.join(args.source, d)))
        pools = {name: [Image.open(os.path.join(args.source, name, f)).convert("RGB") for f in sorted(os.listdir(os.path.join(args.source, name)))] for name in names}
    else:
        names = sorted(CLASSES)
        pools = {name: [Image.open(os.path.join(SKIMAGE, file)).convert("RGB")] for name, file in CLASSES.items()}
    for name in names:
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
    total = 0
    for n in range(args.count):
        name = names[n % len(names)]
        pool = pools[name]
        source = pool[int(rng.integers(0, len(pool)))] if len(pool) > 1 else pool[0]
        ratio = float(np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3))))  # width / height
        shorter = int(250 + 750 * rng.uniform() ** 4)                       # 250-1,000, mean ~400
        width, height = (int(shorter * ratio), shorter) if ratio >= 1 else (shorter, int(shorter / ratio))
        # A crop of 40-100 % of the source's width with the output's aspect ratio.
        sw, sh = source.size
        cw = int(sw * rng.uniform(0.4, 1.0))
        ch = min(sh, int(cw * height / width))
        cw = int(ch * width / height)
        x, y = int(rng.integers(0, sw - cw + 1)), int(rng.integers(0, sh - ch + 1))
        image = source.crop((x, y, x + cw, y + ch)).resize((width, height), Image.BILINEAR)
        pixels = np.asarray(image, dtype=np.float32)
        pixels += rng.normal(0, 12.0, pixels.shape)  # sensor-like noise: real photos do not compress like upscaled blur
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        kind = rng.uniform()
        if kind < 0.01:
            path = os.path.join(args.out, name, f"{n:07d}.png")
            image.save(path, optimize=False)
        else:
            if kind < 0.03:
                image = image.convert("L")
            path = os.path.join(args.out, name, f"{n:07d}.jpg")
            quality = int(rng.integers(80, 96))
            if args.source and kind > 0.96:
                image.save(path, quality=quality, progressive=True)
            elif args.source and kind > 0.92 and image.mode == "RGB":
                image.save(path, quality=quality, subsampling=0)
            else:
                image.save(path, quality=quality)
        total += os.path.getsize(path)
    print(f"{args.count} images, {total / 1e6:.1f} MB, {total / args.count / 1024:.0f} KiB each, in {args.out}")


if __name__ == "__main__":
    main()
