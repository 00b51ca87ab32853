#!/usr/bin/python3
"""Full training-step parity: the same weights (kaiming init, or a given checkpoint) and the same batch (first N
training images, no augmentation, dropout 0) in torch and in our engine (GradStep tool); compares losses, every
parameter gradient, the parameters after one SGD step (lr 0.01, heads x10, momentum 0.9, wd 1e-4) and the BN
running statistics. Prints the worst relative errors (||a-b|| / ||b|| per tensor)."""
import argparse
import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F

import common

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/tmp/par/data")
ap.add_argument("--work", default="/tmp/par/grad")
ap.add_argument("--init", default="", help="start from this safetensors (e.g. a trained checkpoint)")
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--offset", type=int, default=0)
ap.add_argument("--device", default="cpu")
a = ap.parse_args()
torch.set_num_threads(1)
os.makedirs(a.work, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))

m = common.build(dropout=0.0)
if a.init:
    sd, _ = common.read_safetensors(a.init)
    mine = common.state_dict(m)
    m.load_state_dict({k: sd[k].to(mine[k].dtype) for k in mine}, strict=False)
else:
    common.kaiming_init(m, 7)
    # non-trivial BN affine so their gradients are tested in a generic state
wpath = os.path.join(a.work, "weights.safetensors")
common.write_safetensors(wpath, common.state_dict(m))
x, y = common.load_split(a.data, "train.txt")
x, y = x[a.offset:a.offset + a.batch], y[a.offset:a.offset + a.batch]
bpath = os.path.join(a.work, "batch.npz")
np.savez(bpath, x=x.numpy().astype(np.float32), y=y.numpy().astype(np.int32))

# ours
opath = os.path.join(a.work, "ours.safetensors")
exe = os.path.join(here, "GradStep", "bin", "Release", "net10.0", "GradStep")
print(subprocess.run([exe, wpath, bpath, opath, "0.25", "5", a.device], check=True, capture_output=True, text=True).stdout.strip())
ours, _ = common.read_safetensors(opath)

# torch float32 (the noise floor of a float32 implementation against the float64 reference)
import copy
m32 = copy.deepcopy(m).float().train()
o32 = m32(common.normalize(x))
(F.cross_entropy(o32["logits"], y, ignore_index=255) + 0.4 * F.cross_entropy(o32["aux"], y, ignore_index=255)).backward()
g32 = {n: p.grad.clone() for n, p in m32.named_parameters() if not n.startswith("context.")}

# torch, float64 for the reference
md = m.double()
md.train()
opt = torch.optim.SGD(common.param_groups(md, 0.01), lr=0.01, momentum=0.9, weight_decay=1e-4)
out = md(common.normalize(x).double())
main = F.cross_entropy(out["logits"], y, ignore_index=255)
aux = F.cross_entropy(out["aux"], y, ignore_index=255)
loss = main + 0.4 * aux
opt.zero_grad()
loss.backward()
grads = {n: p.grad.clone() for n, p in md.named_parameters() if not n.startswith("context.")}
opt.step()
print(f"torch main {main.item():.6f} aux {aux.item():.6f} | ours main {ours['loss.main'].item():.6f} aux {ours['loss.aux'].item():.6f}")


def rel(a_, b_):
    a_, b_ = a_.double().flatten(), b_.double().flatten()
    return ((a_ - b_).norm() / (b_.norm() + 1e-12)).item()


rows = []
for n, g in grads.items():
    rows.append(("grad", n, rel(ours["grad." + n], g), g.norm().item()))
    rows.append(("grad_torch32", n, rel(g32[n], g), g.norm().item()))
for n, p in md.named_parameters():
    if n.startswith("context."):
        continue
    rows.append(("param", n, rel(ours["param." + n], p), p.norm().item()))
for n, b in md.state_dict().items():
    if "running_" in n and not n.startswith("context."):
        rows.append(("buf", n, rel(ours["buf." + n], b), b.norm().item()))
for kind in ("grad", "grad_torch32", "param", "buf"):
    r = [t for t in rows if t[0] == kind]
    r.sort(key=lambda t: -t[2])
    print(f"{kind}: {len(r)} tensors, max rel err {r[0][2]:.2e} ({r[0][1]}), median {r[len(r) // 2][2]:.2e}")
    for t in r[:6]:
        print(f"   {t[1]:40s} rel {t[2]:.2e} norm {t[3]:.3e}")
if os.environ.get("ALL"):
    t32 = {t[1]: t[2] for t in rows if t[0] == "grad_torch32"}
    for t in rows:
        if t[0] == "grad":
            print(f"   {t[1]:40s} ours {t[2]:.2e} torch32 {t32[t[1]]:.2e}")
