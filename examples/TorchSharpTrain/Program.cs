// Trains a small ResNet-style CNN with TorchSharp on any ImageStash store or shard set, fed by TensorLoader, and
// prints one line per epoch: loss, train and test accuracy, images/s, and the share of wall time the loop spent
// waiting for the next batch. CIFAR-shaped raw stores train as stored (32×32, with CIFAR's pad-4 crop and flip);
// photo stores decode and random-crop to --size (the test store: a centre crop).
//
//   dotnet run -c Release --project examples/TorchSharpTrain -- TRAIN_STORE [--test TEST_STORE] [--epochs N] [--size N] [--batch N]
using System.Diagnostics;
using ImageStash;
using ImageStash.Loading;
using ImageStash.Tools;
using ImageStash.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

var arguments = new Queue<string>(args);
if (arguments.Count == 0 || arguments.Peek().StartsWith('-'))
{
    Console.Error.WriteLine("usage: TorchSharpTrain TRAIN_STORE [--test TEST_STORE] [--epochs N] [--size N] [--batch N] [--lr X] [--workers N]");
    return 2;
}
string trainPath = arguments.Dequeue();
string? testPath = null;
int? size = null;
int epochs = 3, batchSize = 128, workers = Environment.ProcessorCount;
double learningRate = 0.003;
while (arguments.Count > 0)
{
    string option = arguments.Dequeue();
    if (arguments.Count == 0) { Console.Error.WriteLine($"{option} needs a value"); return 2; }
    string value = arguments.Dequeue();
    switch (option)
    {
        case "--test": testPath = value; break;
        case "--epochs": epochs = int.Parse(value); break;
        case "--size": size = int.Parse(value); break;
        case "--batch": batchSize = int.Parse(value); break;
        case "--lr": learningRate = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        case "--workers": workers = int.Parse(value); break;
        default: Console.Error.WriteLine($"unknown option {option}"); return 2;
    }
}

var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider, ImageStash.Shards.ShardSetStore.Provider);
using var train = stores.OpenRead(trainPath);
using var test = testPath is null ? null : stores.OpenRead(testPath);
int classes = Math.Max(train.ClassNames.Count, 10);
float[] mean = [0.4914f, 0.4822f, 0.4465f], std = [0.2470f, 0.2435f, 0.2616f]; // CIFAR-10's; close enough for photos
var trainOptions = new LoaderOptions
{
    BatchSize = batchSize, Seed = 1, Workers = workers, Size = size, Output = LoaderOutput.FloatsChw, Mean = mean, Std = std,
    RandomHorizontalFlip = true, RandomCropPadding = size is null ? 4 : 0, MinScale = 0.35,
};
var testOptions = new LoaderOptions
{
    BatchSize = 256, Shuffle = false, Workers = workers, Size = size, Crop = LoaderCrop.Center, Output = LoaderOutput.FloatsChw, Mean = mean, Std = std,
};
using var loader = new TensorLoader(train, trainOptions);
using var testLoader = test is null ? null : new TensorLoader(test, testOptions);
manual_seed(1);
using var model = new ResNetSmall(classes, loader.Shape.Height);
using var optimizer = optim.Adam(model.parameters(), lr: learningRate);
Console.WriteLine($"{train.Format} store '{train.Path}': {loader.ImagesPerEpoch:N0} images as {loader.Shape} float32 N×C×H×W, " +
                  $"{classes} classes, batches of {batchSize}, {workers} loader threads, {get_num_threads()} torch threads");

for (int epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    var wall = Stopwatch.StartNew();
    var waiting = new Stopwatch();
    double loss = 0;
    long seen = 0, right = 0;
    using var batches = loader.NextEpoch().GetEnumerator();
    while (true)
    {
        waiting.Start();
        bool more = batches.MoveNext(); // the loader's share: how long the loop waits for the next batch
        waiting.Stop();
        if (!more) break;
        var (images, labels) = batches.Current;
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var output = model.forward(images);
        var batchLoss = nn.functional.cross_entropy(output, labels);
        batchLoss.backward();
        optimizer.step();
        int n = batches.Current.Count;
        loss += batchLoss.item<float>() * n;
        right += output.argmax(1).eq(labels).sum().item<long>();
        seen += n;
    }
    wall.Stop();
    string testAccuracy = testLoader is null ? "n/a" : $"{100 * Evaluate(model, testLoader):F1} %";
    Console.WriteLine($"epoch {epoch}: loss {loss / seen:F4}, train accuracy {100.0 * right / seen:F1} %, test accuracy {testAccuracy}, " +
                      $"{seen / wall.Elapsed.TotalSeconds:F0} images/s, loader wait {100 * waiting.Elapsed / wall.Elapsed:F1} %");
}
return 0;

static double Evaluate(ResNetSmall model, TensorLoader loader)
{
    model.eval();
    long right = 0, seen = 0;
    using var _ = no_grad();
    foreach (var (images, labels) in loader.NextEpoch())
    {
        using var scope = NewDisposeScope();
        right += model.forward(images).argmax(1).eq(labels).sum().item<long>();
        seen += labels.shape[0];
    }
    return (double)right / seen;
}
