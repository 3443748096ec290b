using ImageStash.Loading;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ImageStash.TorchSharp.Tests;

public sealed class TrainingTests
{
    [Fact]
    public void A_short_training_run_on_the_CIFAR_shaped_sample_reaches_well_above_chance()
    {
        using var train = new TempStore(1000, seed: 1);
        using var test = new TempStore(500, seed: 2);
        manual_seed(1);
        var model = Sequential(
            ("conv1", Conv2d(3, 16, 3, stride: 2, padding: 1)), ("relu1", ReLU()),
            ("conv2", Conv2d(16, 32, 3, padding: 1)), ("relu2", ReLU()), ("pool2", AdaptiveAvgPool2d(1)),
            ("flat", Flatten()), ("fc", Linear(32, 10)));
        var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        var options = new LoaderOptions
        {
            BatchSize = 64, Seed = 1, Output = LoaderOutput.FloatsChw, RandomCropPadding = 2, RandomHorizontalFlip = true,
            Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f],
        };
        using var loader = new TensorLoader(train.Store, options);
        float firstLoss = float.NaN, lastLoss = float.NaN;
        model.train();
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (images, labels) in loader.NextEpoch())
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = functional.cross_entropy(model.forward(images), labels);
                loss.backward();
                optimizer.step();
                lastLoss = loss.item<float>();
                if (float.IsNaN(firstLoss)) firstLoss = lastLoss;
            }
        Assert.Equal(2, loader.State.Epoch);

        model.eval();
        using var testLoader = new TensorLoader(test.Store, new LoaderOptions
        {
            BatchSize = 100, Shuffle = false, Output = LoaderOutput.FloatsChw, Mean = options.Mean, Std = options.Std,
        });
        long correct = 0, seen = 0;
        using (no_grad())
            foreach (var (images, labels) in testLoader.NextEpoch())
            {
                using var scope = NewDisposeScope();
                correct += model.forward(images).argmax(1).eq(labels).sum().item<long>();
                seen += labels.shape[0];
            }
        Assert.Equal(500, seen);
        double accuracy = (double)correct / seen;
        // Ten classes: chance is 10 %.
        Assert.True(accuracy > 0.6, $"held-out accuracy {accuracy:P1}; loss {firstLoss:F3} → {lastLoss:F3}");
        Assert.True(lastLoss < firstLoss, $"loss {firstLoss:F3} → {lastLoss:F3}");
    }
}
