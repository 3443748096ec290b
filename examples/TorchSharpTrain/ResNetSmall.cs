using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

/// <summary>
/// A small ResNet-style CNN: a 16-channel stem, then two residual blocks (32 and 64 channels, each halving the
/// resolution), global average pooling and a linear classifier: about 12 million multiply-adds per 32×32 image. Inputs larger than 32 pixels get a
/// stride-2 stem, so 64×64 photos cost about what 32×32 images do.
/// </summary>
internal sealed class ResNetSmall : Module<Tensor, Tensor>
{
    private readonly Sequential _layers;

    public ResNetSmall(int classes, int size) : base(nameof(ResNetSmall))
    {
        _layers = Sequential(
            Conv2d(3, 16, 3, stride: size > 32 ? 2 : 1, padding: 1, bias: false), BatchNorm2d(16), ReLU(),
            new Block(16, 32, 2), new Block(32, 64, 2),
            AdaptiveAvgPool2d(1), Flatten(), Linear(64, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => _layers.forward(input);

    /// <summary>conv-bn-relu-conv-bn plus the input (through a 1×1 convolution where the shape changes), then relu.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        private readonly Sequential _body;
        private readonly Module<Tensor, Tensor>? _shortcut;

        public Block(int input, int output, int stride) : base(nameof(Block))
        {
            _body = Sequential(
                Conv2d(input, output, 3, stride: stride, padding: 1, bias: false), BatchNorm2d(output), ReLU(),
                Conv2d(output, output, 3, padding: 1, bias: false), BatchNorm2d(output));
            if (stride != 1 || input != output)
                _shortcut = Sequential(Conv2d(input, output, 1, stride: stride, bias: false), BatchNorm2d(output));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => functional.relu(_body.forward(x) + (_shortcut?.forward(x) ?? x));
    }
}
