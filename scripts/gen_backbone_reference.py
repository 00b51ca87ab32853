#!/usr/bin/python3
"""Reference data for tests/RobustSeg.Models.Tests/BackboneImportTests.cs: a semseg deep-base ImageNet ResNet-50 state dict
(keys conv1 bn1 conv2 bn2 conv3 bn3 layer1..layer4 fc, random weights, width 1/16 to stay small) saved as the original's
initmodel files are (torch.save of the bare state dict), and what the original's PSPNet(pretrained=True) holds after
building its layer0 from that ResNet's modules (nn.Sequential(resnet.conv1, resnet.bn1, relu, resnet.conv2, ...)) and
taking layer1..layer4 as they are. Run with /usr/bin/python3 (torch 1.13 CPU)."""
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_model_reference as gmr  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "RobustSeg.Models.Tests", "Data", "backbone")
gmr.WIDTH, gmr.LAYERS, gmr.CLASSES = 0.0625, 50, 5
torch.manual_seed(11)


class DeepBaseResNet(nn.Module):
    """semseg's resnet.py layout with deep_base=True: the names of initmodel/resnet50_v2.pth."""

    def __init__(self):
        super().__init__()
        holder = nn.Module()
        gmr.make_backbone(holder)
        l0 = holder.layer0
        self.conv1, self.bn1, self.conv2, self.bn2, self.conv3, self.bn3 = l0[0], l0[1], l0[3], l0[4], l0[6], l0[7]
        for s in range(1, 5):
            setattr(self, f"layer{s}", getattr(holder, f"layer{s}"))
        self.fc = nn.Linear(gmr.ch(2048), 1000)


resnet = DeepBaseResNet()
with torch.no_grad():
    for mod in resnet.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.copy_(1 + 0.2 * torch.randn(mod.weight.shape))
            mod.bias.copy_(0.1 * torch.randn(mod.bias.shape))
            mod.running_mean.copy_(0.1 * torch.randn(mod.running_mean.shape))
            mod.running_var.copy_(1 + 0.5 * torch.rand(mod.running_var.shape))
            mod.num_batches_tracked.fill_(5)

# The original: PSPNet(pretrained=True) builds layer0 from the ResNet's modules and reuses layer1..4.
psp = nn.Module()
psp.layer0 = nn.Sequential(resnet.conv1, resnet.bn1, nn.ReLU(), resnet.conv2, resnet.bn2, nn.ReLU(),
                           resnet.conv3, resnet.bn3, nn.ReLU(), nn.MaxPool2d(3, 2, 1))
for s in range(1, 5):
    setattr(psp, f"layer{s}", getattr(resnet, f"layer{s}"))

os.makedirs(OUT, exist_ok=True)
torch.save(resnet.state_dict(), os.path.join(OUT, "resnet50_w16.pth"))
np.savez(os.path.join(OUT, "expected_backbone.npz"),
         **{k: v.numpy().astype(np.int32 if v.dtype == torch.int64 else np.float32) for k, v in psp.state_dict().items()})
print(f"wrote {len(resnet.state_dict())} ImageNet tensors, {len(psp.state_dict())} backbone tensors to {OUT}")
