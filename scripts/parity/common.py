#!/usr/bin/python3
"""Shared pieces for the parity study: the torch SegNet of scripts/gen_model_reference.py at a chosen width,
safetensors read/write (no package needed), the synthetic dataset as tensors, semseg's mIoU."""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gen_model_reference as gmr  # noqa: E402

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def build(arch="psp", width=0.25, classes=5, layers=18, dropout=0.1):
    gmr.WIDTH, gmr.CLASSES, gmr.LAYERS = width, classes, layers
    m = gmr.SegNet(arch, False)
    for head in (m.cls, m.aux):
        head[3].p = dropout
    return m


def kaiming_init(m, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.Conv2d):
                fan_out = mod.weight.shape[0] * mod.weight[0, 0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * (2.0 / fan_out) ** 0.5)
                if mod.bias is not None:
                    mod.bias.zero_()
            elif isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.fill_(1)
                mod.bias.zero_()


def state_dict(m):
    return {k: v for k, v in m.state_dict().items() if not k.startswith("context.")}


def param_groups(m, lr):
    bb = [p for n, p in m.named_parameters() if n.startswith("layer")]
    hd = [p for n, p in m.named_parameters() if not n.startswith("layer") and not n.startswith("context.")]
    return [dict(params=bb, lr=lr), dict(params=hd, lr=lr * 10)]


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out, md = {}, header.pop("__metadata__", {})
    dt = {"F32": np.float32, "I32": np.int32, "F64": np.float64, "I64": np.int64}
    for k, v in header.items():
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(raw[base + b:base + e], dtype=dt[v["dtype"]]).reshape(v["shape"]).copy())
    return out, md


def write_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for k, t in tensors.items():
        a = t.detach().cpu().numpy()
        a = a.astype(np.int32) if a.dtype.kind in "iu" else a.astype(np.float32)
        b = a.tobytes()
        header[k] = {"dtype": "I32" if a.dtype == np.int32 else "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    js = json.dumps(header).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))
    os.replace(path + ".tmp", path)


def load_split(root, lst):
    ims, lbs = [], []
    for line in open(os.path.join(root, lst)):
        if not line.strip():
            continue
        a, b = line.split()
        ims.append(np.asarray(Image.open(os.path.join(root, a)).convert("RGB"), dtype=np.float32) / 255.0)
        lbs.append(np.asarray(Image.open(os.path.join(root, b)), dtype=np.int64))
    x = torch.from_numpy(np.stack(ims)).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(np.stack(lbs))
    return x, y


def normalize(x01):
    return (x01 - MEAN) / STD


def intersection_union(pred, target, k, ignore=255):
    pred, target = pred.view(-1).clone(), target.view(-1)
    pred[target == ignore] = ignore
    inter = pred[pred == target]
    ai = torch.histc(inter.float(), bins=k, min=0, max=k - 1)
    ao = torch.histc(pred[pred != ignore].float(), bins=k, min=0, max=k - 1)
    at = torch.histc(target[target != ignore].float(), bins=k, min=0, max=k - 1)
    return ai, ao + at - ai, at


@torch.no_grad()
def evaluate(m, x, y, k, bs=25):
    m.eval()
    I = torch.zeros(k); U = torch.zeros(k); T = torch.zeros(k)
    for i in range(0, len(x), bs):
        p = m(normalize(x[i:i + bs]))["logits"].argmax(1)
        a, b, c = intersection_union(p, y[i:i + bs], k)
        I += a; U += b; T += c
    iou = I / (U + 1e-10)
    return dict(mIoU=iou.mean().item(), allAcc=(I.sum() / (T.sum() + 1e-10)).item(), iou=[round(v, 3) for v in iou.tolist()])


def load_ours(path, width=0.25, classes=5):
    m = build(width=width, classes=classes)
    sd, md = read_safetensors(path)
    mine = state_dict(m)
    missing = [k for k in mine if k not in sd]
    if missing:
        raise SystemExit(f"{path}: missing keys {missing[:5]}")
    m.load_state_dict({k: sd[k].to(mine[k].dtype) for k in mine}, strict=False)
    return m


# cv2.GaussianBlur((5,5), 0): sigma = 0.3*((5-1)*0.5-1)+0.8 = 1.1, BORDER_REFLECT_101.
g1 = torch.exp(-(torch.arange(5.) - 2) ** 2 / (2 * 1.1 ** 2)); g1 /= g1.sum()
K = (g1[:, None] * g1[None, :]).view(1, 1, 5, 5).repeat(3, 1, 1, 1)


def augment(xb, yb, gen, aug="flipblur", scale="0.75,1.5"):
    """none | flipblur (random h-flip + cv2-like 5x5 Gaussian blur, p 0.5 each) | semseg (plus random scale and
    rotation as one affine warp, image bilinear / label nearest, mean / 255 padding)."""
    n = xb.shape[0]
    xb, yb = xb.clone(), yb.clone()
    if aug == "semseg":
        smin, smax = map(float, scale.split(","))
        s = smin + (smax - smin) * torch.rand(n, generator=gen)
        rot = torch.rand(n, generator=gen) < 0.5
        ang = torch.where(rot, (torch.rand(n, generator=gen) * 20 - 10) * math.pi / 180, torch.zeros(n))
        H = xb.shape[2]
        # random crop offset of the scaled image (scale>1: window inside; scale<1: padded, centred-ish)
        span = (s - 1).clamp(min=0)
        tx = (torch.rand(n, generator=gen) * 2 - 1) * span
        ty = (torch.rand(n, generator=gen) * 2 - 1) * span
        cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
        theta = torch.stack([torch.stack([cos, -sin, tx / s], 1), torch.stack([sin, cos, ty / s], 1)], 1)
        grid = F.affine_grid(theta, xb.shape, align_corners=True)
        pad = MEAN.expand(n, 3, H, H)
        xi = F.grid_sample(xb - pad, grid, mode="bilinear", padding_mode="zeros", align_corners=True) + pad
        yl = F.grid_sample((yb.float() + 1).unsqueeze(1), grid, mode="nearest", padding_mode="zeros", align_corners=True)
        yl = yl.squeeze(1).long() - 1
        yl[yl < 0] = 255
        xb, yb = xi, yl
    if aug in ("flipblur", "semseg"):
        blur = torch.rand(n, generator=gen) < 0.5
        if blur.any():
            xp = F.pad(xb[blur], (2, 2, 2, 2), mode="reflect")
            xb[blur] = F.conv2d(xp, K, groups=3)
        flip = torch.rand(n, generator=gen) < 0.5
        xb[flip] = xb[flip].flip(-1)
        yb[flip] = yb[flip].flip(-1)
    return xb, yb
