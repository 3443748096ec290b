using ImageStash.Lmdb;
using ImageStash.Loading;
using ImageStash.Sources;
using ImageStash.Tools;
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
        var (accuracy, firstLoss, lastLoss) = TrainAndTest(train.Store, test.Store, epochs: 2, seed: 1);
        // Ten classes: chance is 10 %.
        Assert.True(accuracy > 0.6, $"held-out accuracy {accuracy:P1}; loss {firstLoss:F3} → {lastLoss:F3}");
        Assert.True(lastLoss < firstLoss, $"loss {firstLoss:F3} → {lastLoss:F3}");
    }

    [Fact]
    public void A_short_training_run_on_the_real_CIFAR_10_sample_reaches_well_above_chance()
    {
        // The CIFAR-10 sample in the official binary layout (1,000 train / 200 test crops of ten real photos), imported
        // as a user would, and trained on with real TorchSharp: harder than the CIFAR-shaped tints and stripes.
        string dir = Path.Combine(Path.GetTempPath(), "imagestash-torch-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            string archive = Path.Combine(AppContext.BaseDirectory, "TestData", "cifar-10-sample-binary.tar.gz");
            using var train = Import(archive, CifarSplit.Train, Path.Combine(dir, "train.lmdb"));
            using var test = Import(archive, CifarSplit.Test, Path.Combine(dir, "test.lmdb"));
            Assert.Equal(1000, train.Count);
            Assert.Equal(200, test.Count);
            var (accuracy, firstLoss, lastLoss) = TrainAndTest(train, test, epochs: 6, seed: 1);
            // Ten classes: chance is 10 %.
            Assert.True(accuracy > 0.5, $"held-out accuracy {accuracy:P1}; loss {firstLoss:F3} → {lastLoss:F3}");
            Assert.True(lastLoss < firstLoss, $"loss {firstLoss:F3} → {lastLoss:F3}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static IImageStore Import(string archive, CifarSplit split, string path)
    {
        var store = LmdbStore.Provider.Open(path, new StoreOptions { Mode = StoreOpenMode.CreateNew });
        try
        {
            using var source = new CifarBinarySource(archive, new SourceOptions { Split = split });
            StoreImporter.Import(source, store);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains a small CNN on <paramref name="train"/> through <see cref="TensorLoader"/> and returns its accuracy on
    /// <paramref name="test"/>, with the first and last training batch's loss.
    /// </summary>
    private static (double Accuracy, float FirstLoss, float LastLoss) TrainAndTest(IImageStore train, IImageStore test, int epochs, int seed)
    {
        manual_seed(seed);
        var model = Sequential(
            ("conv1", Conv2d(3, 16, 3, stride: 2, padding: 1)), ("relu1", ReLU()),
            ("conv2", Conv2d(16, 32, 3, padding: 1)), ("relu2", ReLU()), ("pool2", AdaptiveAvgPool2d(1)),
            ("flat", Flatten()), ("fc", Linear(32, 10)));
        var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        var options = new LoaderOptions
        {
            BatchSize = 64, Seed = seed, Output = LoaderOutput.FloatsChw, RandomCropPadding = 2, RandomHorizontalFlip = true,
            Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f],
        };
        using var loader = new TensorLoader(train, options);
        float firstLoss = float.NaN, lastLoss = float.NaN;
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
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
        Assert.Equal(epochs, loader.State.Epoch);

        model.eval();
        using var testLoader = new TensorLoader(test, new LoaderOptions
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
        Assert.Equal(test.Count, seen);
        return ((double)correct / seen, firstLoss, lastLoss);
    }
}
