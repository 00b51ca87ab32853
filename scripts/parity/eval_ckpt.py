#!/usr/bin/python3
"""Val mIoU (semseg intersectionAndUnion, whole 65x65 images) of one of OUR checkpoints, evaluated in torch."""
import argparse
import torch
import common

ap = argparse.ArgumentParser()
ap.add_argument("ckpt", nargs="+")
ap.add_argument("--data", default="/tmp/par/data")
ap.add_argument("--width", type=float, default=0.25)
ap.add_argument("--classes", type=int, default=5)
a = ap.parse_args()
torch.set_num_threads(1)
x, y = common.load_split(a.data, "val.txt")
for c in a.ckpt:
    m = common.load_ours(c, a.width, a.classes)
    print(c, common.evaluate(m, x, y, a.classes))
