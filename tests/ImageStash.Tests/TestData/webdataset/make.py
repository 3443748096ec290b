"""Writes the WebDataset fixtures beside this script with Python's own tarfile module (an independent writer).

    python3 make.py        # from this folder; reads ../image-folder-sample

wds-000000.tar, wds-000001.tar: 3 samples each, keys train/000000 … train/000005: an image (.jpg or .png, bytes as in
    image-folder-sample), a .cls (its class folder's index), a .txt caption and a .json {"label": …, "source": …};
    sample train/000004 has no .cls, only the .json label.
bad-no-image.tar: train/000000 (good), train/000001 (.txt and .cls, no image), train/000002 (good).
bad-no-key.tar: train/000000 (good), a member 'train/.jpg' (no key), train/000002 (good).
"""
import io
import json
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "..", "image-folder-sample")
CLASSES = sorted(os.listdir(FOLDER))


def images():
    for label, name in enumerate(CLASSES):
        for f in sorted(os.listdir(os.path.join(FOLDER, name)))[:1]:
            yield label, name, f, open(os.path.join(FOLDER, name, f), "rb").read()


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def sample(tar, key, label, cls, f, data, with_cls=True, with_image=True):
    ext = os.path.splitext(f)[1]
    if with_image:
        add(tar, key + ext, data)
    if with_cls:
        add(tar, key + ".cls", str(label).encode())
    add(tar, key + ".txt", f"a photo of a {cls}".encode())
    add(tar, key + ".json", json.dumps({"label": label, "source": f"{cls}/{f}"}).encode())


def main():
    picked = list(images())[:6]
    for shard in range(2):
        with tarfile.open(os.path.join(HERE, f"wds-{shard:06d}.tar"), "w", format=tarfile.USTAR_FORMAT) as tar:
            for i in range(shard * 3, shard * 3 + 3):
                label, cls, f, data = picked[i]
                sample(tar, f"train/{i:06d}", label, cls, f, data, with_cls=i != 4)
    with tarfile.open(os.path.join(HERE, "bad-no-image.tar"), "w", format=tarfile.USTAR_FORMAT) as tar:
        for i in range(3):
            label, cls, f, data = picked[i]
            sample(tar, f"train/{i:06d}", label, cls, f, data, with_image=i != 1)
    with tarfile.open(os.path.join(HERE, "bad-no-key.tar"), "w", format=tarfile.USTAR_FORMAT) as tar:
        for i in range(3):
            label, cls, f, data = picked[i]
            if i == 1:
                add(tar, "train/.jpg", data)
            else:
                sample(tar, f"train/{i:06d}", label, cls, f, data)


if __name__ == "__main__":
    main()
