"""The paper's 2-D U-Net (Jodogne, client-side deep learning through teleradiology).

1 input channel; encoder 32-64-128-256, each level two 3x3 'same' convolutions with
bias and ReLU, then 2x2 max-pooling; bottleneck two 3x3 convolutions of 512; decoder
2x2 stride-2 transposed convolutions halving the channels, concatenation with the skip,
two 3x3 convolutions; a 1x1 convolution and a sigmoid. One output channel (lung):
7,759,521 parameters, the paper's count. Left and right are separated afterwards
(postprocess.split_left_right).
"""
import torch
from torch import nn

PAPER_PARAMETER_COUNT = 7_759_521
ENCODER_WIDTHS = (32, 64, 128, 256)
BOTTLENECK_WIDTH = 512


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True),
    )


LUNG_PRIOR_LOGIT = -1.7


class UNet(nn.Module):
    def __init__(self, in_channels: int = 1, out_channels: int = 1):
        super().__init__()
        self.encoders = nn.ModuleList()
        cin = in_channels
        for width in ENCODER_WIDTHS:
            self.encoders.append(_double_conv(cin, width))
            cin = width
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double_conv(cin, BOTTLENECK_WIDTH)
        self.upsamples = nn.ModuleList()
        self.decoders = nn.ModuleList()
        cin = BOTTLENECK_WIDTH
        for width in reversed(ENCODER_WIDTHS):
            self.upsamples.append(nn.ConvTranspose2d(cin, width, 2, stride=2))
            self.decoders.append(_double_conv(2 * width, width))
            cin = width
        self.head = nn.Conv2d(cin, out_channels, 1)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                # He initialisation: there is no normalisation layer to rescue a bad start.
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        # The output starts at the lungs' share of a chest CT slice (about 15 % of pixels, logit -1.7) rather
        # than at a random He-initialised map: without normalisation layers the network otherwise spends its
        # first hundred images learning "everything is background" (seen in the smoke run).
        nn.init.normal_(self.head.weight, std=1e-3)
        nn.init.constant_(self.head.bias, LUNG_PRIOR_LOGIT)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-sigmoid output; training uses it for a numerically stable BCE."""
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for upsample, decoder, skip in zip(self.upsamples, self.decoders, reversed(skips)):
            x = decoder(torch.cat([upsample(x), skip], dim=1))
        return self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_model() -> UNet:
    model = UNet()
    count = count_parameters(model)
    assert count == PAPER_PARAMETER_COUNT, f"U-Net has {count} parameters, the paper's has {PAPER_PARAMETER_COUNT}"
    return model
