using Amazon.Runtime;
using Amazon.S3;
using ImageStash.Shards;

namespace ImageStash.Tests.Shards;

/// <summary>Tests that talk to the one-node radosgw share one server, started once (scripts/s3-server.sh) and stopped at the end.</summary>
[CollectionDefinition("S3", DisableParallelization = true)]
public sealed class S3Collection : ICollectionFixture<S3Server>;

/// <summary>
/// A real S3 server for the tests: Ceph's radosgw on 127.0.0.1 with its objects in memory, started by the
/// project's script. scripts/deps.sh installs Ceph; without it these tests fail, they do not skip.
/// </summary>
public sealed class S3Server : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "imagestash-s3-" + Guid.NewGuid().ToString("N")[..8]);
    private int _bucket;

    public S3Server()
    {
        var (exit, output, error) = Script("start");
        if (exit != 0) throw new InvalidOperationException($"scripts/s3-server.sh start failed ({exit}): {error}{output}");
        Environment = File.ReadAllLines(Path.Combine(_dir, "env")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Endpoint = Environment["AWS_ENDPOINT_URL"];
    }

    /// <summary>AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION of the server.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public string Endpoint { get; }

    /// <summary>S3 settings for the library, pointing at this server.</summary>
    public S3Options Options(TimeSpan? retryFor = null) => new()
    {
        Endpoint = Endpoint,
        Region = "us-east-1",
        AccessKeyId = Environment["AWS_ACCESS_KEY_ID"],
        SecretAccessKey = Environment["AWS_SECRET_ACCESS_KEY"],
        RetryFor = retryFor ?? TimeSpan.FromSeconds(60),
    };

    /// <summary>A new, empty bucket.</summary>
    public string NewBucket()
    {
        string name = $"test-{Interlocked.Increment(ref _bucket)}-{Guid.NewGuid().ToString("N")[..6]}";
        using var client = Client();
        client.PutBucketAsync(name).GetAwaiter().GetResult();
        return name;
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials(Environment["AWS_ACCESS_KEY_ID"], Environment["AWS_SECRET_ACCESS_KEY"]), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Stops radosgw: the endpoint refuses connections; the objects stay in the OSD.</summary>
    public void StopGateway() => Check(Script("stop-rgw"), "stop-rgw");

    /// <summary>Starts radosgw again on the same port.</summary>
    public void StartGateway() => Check(Script("start-rgw"), "start-rgw");

    public void Dispose() => Script("stop");

    private (int, string, string) Script(string command) =>
        ChildProcess.Run("bash", [Path.Combine(AppContext.BaseDirectory, "s3-server.sh"), command, _dir], timeoutMs: 120_000);

    private static void Check((int Exit, string Out, string Err) run, string what)
    {
        if (run.Exit != 0) throw new InvalidOperationException($"s3-server.sh {what} failed: {run.Err}{run.Out}");
    }
}
