"""Reference adversarial examples for the attack tests (tests/RobustSeg.Adversarial.Tests/Data/torch/attacks.npz).

A per-pixel toy network (1x1 conv, relu, 1x1 conv) with fixed random weights; BIM (CE), SegPGD and CosPGD
from the clean image (no random start, so no RNG needs to match), 3 steps, written with torch autograd
following the papers' definitions: SegPGD weights (1 - lambda) / lambda on correct / wrong pixels with
lambda = (t - 1) / (2T); CosPGD weights = cos(softmax, one-hot), detached; ignore label 255.
Run: /usr/bin/python3 scripts/gen_attack_reference.py
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(7)
N, C, H, W, HID, K = 2, 3, 5, 6, 8, 4
w1 = rng.uniform(-4, 4, (HID, C)).astype(np.float32)
b1 = rng.uniform(-1, 1, (HID,)).astype(np.float32)
w2 = rng.uniform(-2, 2, (K, HID)).astype(np.float32)
b2 = rng.uniform(-0.5, 0.5, (K,)).astype(np.float32)
x0 = rng.uniform(0, 1, (N, C, H, W)).astype(np.float32)
x0[rng.uniform(0, 1, x0.shape) < 0.1] = 0.0
x0[rng.uniform(0, 1, x0.shape) > 0.9] = 1.0


def model(x):
    h = F.relu(F.conv2d(x, torch.from_numpy(w1)[:, :, None, None], torch.from_numpy(b1)))
    return F.conv2d(h, torch.from_numpy(w2)[:, :, None, None], torch.from_numpy(b2))


with torch.no_grad():
    labels = model(torch.from_numpy(x0)).argmax(1)
# Make a third of the pixels wrong and some ignored, so both SegPGD groups and the ignore mask matter.
lab = labels.numpy().copy()
flat = lab.reshape(-1)
flat[::3] = (flat[::3] + 1) % K
flat[::7] = 255
labels = torch.from_numpy(lab).long()
EPS, ALPHA, STEPS = 8 / 255, 2 / 255, 3


def attack(kind):
    x = torch.from_numpy(x0).clone()
    xc = torch.from_numpy(x0)
    for t in range(1, STEPS + 1):
        x.requires_grad_(True)
        logits = model(x)
        ce = F.cross_entropy(logits, labels, ignore_index=255, reduction="none")
        if kind == "bim":
            w = torch.ones_like(ce)
        elif kind == "segpgd":
            lam = (t - 1) / (2 * STEPS)
            correct = (logits.argmax(1) == labels).float()
            w = correct * (1 - lam) + (1 - correct) * lam
        else:
            valid = labels != 255
            onehot = F.one_hot(torch.where(valid, labels, torch.zeros_like(labels)), K).permute(0, 3, 1, 2).float()
            onehot = onehot * valid[:, None].float()
            p = F.softmax(logits, 1)
            w = (p * onehot).sum(1) / p.norm(dim=1)
        loss = (w.detach() * ce).sum() / (labels != 255).sum()
        g, = torch.autograd.grad(loss, x)
        with torch.no_grad():
            x = x + ALPHA * g.sign()
            x = torch.min(torch.max(x, xc - EPS), xc + EPS).clamp(0, 1)
    return x.detach().numpy()


out = dict(w1=w1, b1=b1, w2=w2, b2=b2, x0=x0, labels=lab.astype(np.int32),
           bim=attack("bim"), segpgd=attack("segpgd"), cospgd=attack("cospgd"))
path = os.path.join(os.path.dirname(__file__), "..", "tests", "RobustSeg.Adversarial.Tests", "Data", "torch", "attacks.npz")
np.savez(path, **out)
print("wrote", os.path.normpath(path), {k: v.shape for k, v in out.items()})
