namespace ImageStash.Shards;

/// <summary>
/// How to reach S3-compatible object storage. Every setting defaults to the standard AWS environment variables, so
/// a program configured for the AWS CLI needs nothing here. Credentials come from the SDK's usual chain
/// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, then the profile, then the instance's role).
/// </summary>
public sealed class S3Options
{
    private int _parallelRequests = 4;
    private long _partSize = 8L << 20;
    private TimeSpan _retryFor = TimeSpan.FromSeconds(60);

    /// <summary>The endpoint of a non-AWS server (radosgw, MinIO …): default AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; null for AWS itself.</summary>
    public string? Endpoint { get; set; } = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") is { Length: > 0 } s3
        ? s3 : Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } any ? any : null;

    /// <summary>The region: default AWS_REGION, AWS_DEFAULT_REGION, or us-east-1.</summary>
    public string Region { get; set; } = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } r
        ? r : Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") is { Length: > 0 } d ? d : "us-east-1";

    /// <summary>A named profile of ~/.aws/credentials to take credentials from: default AWS_PROFILE, else the SDK's chain.</summary>
    public string? Profile { get; set; } = Environment.GetEnvironmentVariable("AWS_PROFILE") is { Length: > 0 } p ? p : null;

    /// <summary>An access key id to use instead of the SDK's chain (with <see cref="SecretAccessKey"/>); null: the chain.</summary>
    public string? AccessKeyId { get; set; }

    /// <summary>The secret of <see cref="AccessKeyId"/>.</summary>
    public string? SecretAccessKey { get; set; }

    /// <summary>Path-style addressing (http://host/bucket/key), which S3-compatible servers need; null: on exactly when <see cref="Endpoint"/> is set.</summary>
    public bool? ForcePathStyle { get; set; }

    /// <summary>
    /// Send and check request/response checksums only where S3 requires them. The AWS SDK 4 default (always)
    /// makes many S3-compatible servers, radosgw among them, answer every request with an error; null: relaxed
    /// exactly when <see cref="Endpoint"/> is set.
    /// </summary>
    public bool? RelaxedChecksums { get; set; }

    /// <summary>Ranged GETs per shard download and parts in flight per upload (1–64; default 4).</summary>
    public int ParallelRequests
    {
        get => _parallelRequests;
        set => _parallelRequests = value is >= 1 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(ParallelRequests), value, "Use 1 to 64 requests.");
    }

    /// <summary>The size of a ranged GET and of an upload part (5 MiB – 1 GiB; default 8 MiB).</summary>
    public long PartSize
    {
        get => _partSize;
        set => _partSize = value is >= 5L << 20 and <= 1L << 30 ? value : throw new ArgumentOutOfRangeException(nameof(PartSize), value, "S3 parts are 5 MiB to 5 GiB; use 5 MiB to 1 GiB.");
    }

    /// <summary>
    /// How long a shard download keeps retrying a server that went away (connection refused, 5xx, timeouts), with
    /// backoff, before it fails (default 60 s). Opening a set never waits this long: an unreachable endpoint fails
    /// it within seconds.
    /// </summary>
    public TimeSpan RetryFor
    {
        get => _retryFor;
        set => _retryFor = value >= TimeSpan.Zero && value <= TimeSpan.FromHours(1) ? value : throw new ArgumentOutOfRangeException(nameof(RetryFor), value, "Use 0 to 1 hour.");
    }

    internal bool PathStyle => ForcePathStyle ?? Endpoint is not null;

    internal bool Relaxed => RelaxedChecksums ?? Endpoint is not null;
}
