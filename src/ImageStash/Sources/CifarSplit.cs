namespace ImageStash.Sources;

/// <summary>Which CIFAR-10 batch files to read.</summary>
public enum CifarSplit
{
    /// <summary>data_batch_1 … data_batch_5 (50,000 images).</summary>
    Train,

    /// <summary>test_batch (10,000 images).</summary>
    Test,

    /// <summary>The train batches, then the test batch.</summary>
    All,
}
