#!/usr/bin/python3
"""Input-gradient precision of a full-size PSPNet-50 (eval mode, the deployed DDC-AT cls1 branch is a PSPNet head):
ours (float32) and PyTorch float32 (native kernels and oneDNN) against PyTorch float64 on the same weights, for the
gradient of CE (mean over non-ignored pixels) w.r.t. the input and at every stage boundary, to find the op whose
backward loses precision. Random weights with the original's initialisation, BN statistics calibrated on synthetic
crops. Needs the GradStep tool (dotnet build -c Release scripts/parity/GradStep) and a synthetic dataset
(robustseg data synth --out DIR). Run with /usr/bin/python3 from the repository root:
  /usr/bin/python3 scripts/parity/input_grad_precision.py --data /tmp/ig/data [--layers 50] [--device cpu]"""
import argparse
import os
import subprocess
import sys

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/tmp/ig/data")
ap.add_argument("--work", default="/tmp/ig/work")
ap.add_argument("--layers", type=int, default=50)
ap.add_argument("--width", type=float, default=1.0)
ap.add_argument("--classes", type=int, default=21)
ap.add_argument("--h", type=int, default=113)
ap.add_argument("--w", type=int, default=161)
ap.add_argument("--device", default="cpu", help="our device: cpu or ilgpu-cpu")
ap.add_argument("--seed", type=int, default=3)
a = ap.parse_args()
os.makedirs(a.work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(a.seed)

m = common.build(width=a.width, classes=a.classes, layers=a.layers, dropout=0.0)
# The original's initialisation: the ResNet kaiming_normal_(fan_out, relu) and BN (1, 0); heads keep PyTorch's default.
with torch.no_grad():
    for n, mod in m.named_modules():
        if n.startswith("layer") and isinstance(mod, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(mod, torch.nn.BatchNorm2d):
            mod.weight.fill_(1); mod.bias.zero_()

# BN statistics: cumulative averages of train-mode batch statistics over synthetic crops.
lines = [l.split() for l in open(os.path.join(a.data, "train.txt")) if l.strip()]
def load(i, h, w):
    im = cv2.cvtColor(cv2.imread(os.path.join(a.data, lines[i][0])), cv2.COLOR_BGR2RGB)
    lb = np.asarray(Image.open(os.path.join(a.data, lines[i][1])), dtype=np.uint8)  # palette indices
    im = cv2.resize(im, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    lb = cv2.resize(lb, (w, h), interpolation=cv2.INTER_NEAREST).astype(np.int64)
    return torch.from_numpy(im).permute(2, 0, 1).contiguous(), torch.from_numpy(lb)
for mod in m.modules():
    if isinstance(mod, torch.nn.BatchNorm2d):
        mod.momentum = None
        mod.reset_running_stats()
m.train()
with torch.no_grad():
    for b in range(3):
        xs = torch.stack([load(b * 4 + j, 129, 129)[0] for j in range(4)])
        m(common.normalize(xs))
m.eval()

wpath = os.path.join(a.work, "weights.safetensors")
common.write_safetensors(wpath, common.state_dict(m))
img, lab = load(len(lines) - 1, a.h, a.w)
x, y = img.unsqueeze(0), lab.unsqueeze(0)
bpath = os.path.join(a.work, "input.npz")
np.savez(bpath, x=x.numpy().astype(np.float32), y=y.numpy().astype(np.int32))

# ours
opath = os.path.join(a.work, "ours.safetensors")
exe = os.path.join(here, "GradStep", "bin", "Release", "net10.0", "GradStep")
print(subprocess.run([exe, "inputgrad", wpath, bpath, opath, str(a.layers), str(a.classes), str(a.width), a.device],
                     check=True, capture_output=True, text=True).stdout.strip())
ours, _ = common.read_safetensors(opath)

STAGES = ["x", "xn", "layer0", "layer1", "layer2", "layer3", "layer4", "ppm", "cls.0", "cls.1", "cls.2", "cls.4", "up"]
def staged(model, xin):
    """The same staged forward as GradStep InputGrad; every stage output keeps its gradient."""
    xin = xin.clone().requires_grad_(True)
    outs = [xin]
    h = common.normalize(xin) if xin.dtype == torch.float32 else (xin - common.MEAN.double()) / common.STD.double()
    outs.append(h)
    for l in ["layer0", "layer1", "layer2", "layer3", "layer4", "ppm"]:
        h = getattr(model, l)(h); outs.append(h)
    h = model.cls[0](h); outs.append(h)
    h = model.cls[1](h); outs.append(h)
    h = F.relu(h); outs.append(h)
    h = model.cls[4](h); outs.append(h)
    h = F.interpolate(h, size=xin.shape[2:], mode="bilinear", align_corners=True); outs.append(h)
    for t in outs[1:]:
        t.retain_grad()
    loss = F.cross_entropy(h, y, ignore_index=255)
    loss.backward()
    return loss.item(), [t.grad for t in outs], [t.detach() for t in outs]

import copy
m64 = copy.deepcopy(m).double().eval()
l64, g64, f64 = staged(m64, x.double())
torch.backends.mkldnn.enabled = False
l32n, g32n, f32n = staged(copy.deepcopy(m).eval(), x)
torch.backends.mkldnn.enabled = True
l32d, g32d, f32d = staged(copy.deepcopy(m).eval(), x)

def rel(t, ref):
    t, ref = t.double(), ref.double()
    return (t - ref).abs().max().item() / max(ref.abs().max().item(), 1e-30)

def rel2(t, ref):
    t, ref = t.double(), ref.double()
    return (t - ref).norm().item() / max(ref.norm().item(), 1e-30)

print(f"loss float64 {l64:.8f} | torch32 native {l32n:.8f} | torch32 oneDNN {l32d:.8f} | ours {ours['loss'].item():.8f}")
print(f"{'stage':8s} {'grad max: ours':>14s} {'native':>9s} {'oneDNN':>9s} | {'grad L2: ours':>13s} {'native':>9s} {'oneDNN':>9s} |"
      f" {'fwd: ours':>10s} {'native':>9s} {'oneDNN':>9s}")
for i, s in enumerate(STAGES):
    go, fo = ours["grad." + s], ours["fwd." + s]
    print(f"{s:8s} {rel(go, g64[i]):14.2e} {rel(g32n[i], g64[i]):9.2e} {rel(g32d[i], g64[i]):9.2e} | "
          f"{rel2(go, g64[i]):13.2e} {rel2(g32n[i], g64[i]):9.2e} {rel2(g32d[i], g64[i]):9.2e} | "
          f"{rel(fo, f64[i]):10.2e} {rel(f32n[i], f64[i]):9.2e} {rel(f32d[i], f64[i]):9.2e}")
print("(grad max: max |a - float64| / max |float64|; grad L2: ||a - float64|| / ||float64||; fwd: max-relative of the"
      " stage output; 'x' is the input gradient)")
