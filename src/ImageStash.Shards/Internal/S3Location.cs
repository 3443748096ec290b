using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace ImageStash.Shards.Internal;

/// <summary>
/// A shard set under <c>s3://bucket/prefix</c>, through the official AWS SDK: ranged GETs in parallel for
/// downloads, multipart uploads with bounded memory, retries with backoff while a server is away, and one clear
/// line for what retrying cannot fix (no such bucket, access denied, no server at the endpoint).
/// </summary>
internal sealed class S3Location : ShardLocation
{
    // Opening a set must answer within seconds, even when nothing listens at the endpoint.
    private static readonly TimeSpan OpenBudget = TimeSpan.FromSeconds(5);
    private readonly S3Options _options;
    private readonly AmazonS3Client _client;
    private readonly string _url, _bucket, _prefix;
    // The endpoint without user information, and that information ("KEY:SECRET" as written), never shown.
    private readonly string? _endpoint, _userInfo;

    public S3Location(string url, S3Options options)
    {
        _url = url.TrimEnd('/');
        _options = options;
        (_endpoint, _userInfo) = SplitUserInfo(options.Endpoint);
        string rest = _url["s3://".Length..];
        int slash = rest.IndexOf('/');
        (_bucket, _prefix) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
        if (_bucket.Length is < 3 or > 63 || _bucket.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
            throw new ImageStashException($"'{url}' does not name an S3 bucket: write s3://BUCKET/PREFIX (a bucket name is 3-63 lower-case letters, digits, '-' or '.').", ImageStashError.UnknownKind);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.PathStyle,
            AuthenticationRegion = options.Region,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (_endpoint is { } endpoint) config.ServiceURL = endpoint;
        else config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        if (options.Relaxed)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        AWSCredentials? credentials = options is { AccessKeyId: { } id, SecretAccessKey: { } secret } ? new BasicAWSCredentials(id, secret)
            : _userInfo?.Split(':', 2) is [{ Length: > 0 } key, var password] ? new BasicAWSCredentials(Uri.UnescapeDataString(key), Uri.UnescapeDataString(password))
            : null;
        if (credentials is null && options.Profile is { } profile && !new CredentialProfileStoreChain().TryGetAWSCredentials(profile, out credentials))
            throw new ImageStashException($"'{url}': AWS profile '{profile}' is not in ~/.aws/credentials or ~/.aws/config.", ImageStashError.AccessDenied);
        // Resolved here, not by the client at its first request, so that "none found" is known by the call that failed.
        credentials ??= DefaultCredentials(config, url);
        _client = new AmazonS3Client(credentials, config);
    }

    public override string Display => _url;

    public override string CacheKey => $"s3:{_endpoint ?? "aws:" + _options.Region}/{_bucket}/{_prefix}";

    private string Key(string name) => _prefix.Length == 0 ? name : _prefix + "/" + name;

    public override string? LocalPath(string name) => null;

    public override byte[]? TryReadSmall(string name, long limit, CancellationToken cancel) => Run(async token =>
    {
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = Key(name) }, token);
            return await ReadCapped(response.ResponseStream, name, response.ContentLength, limit, token);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket") { return null; }
    }, $"reading {name}", OpenBudget, cancel);

    public override long Download(string name, long bytes, string target, CancellationToken cancel)
    {
        using var file = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        long part = _options.PartSize;
        int parts = (int)Math.Max(1, (bytes + part - 1) / part);
        long size = bytes; // the object's size as the server reports it: another size is a damaged shard, not a cut transfer
        Run(async token =>
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, parts), new ParallelOptions { MaxDegreeOfParallelism = _options.ParallelRequests, CancellationToken = token }, async (k, t) =>
            {
                long start = k * part, length = Math.Min(part, bytes - start);
                // Each part retries on its own, so a server that comes back lets the download carry on.
                await Retrying(async u =>
                {
                    var request = new GetObjectRequest { BucketName = _bucket, Key = Key(name), ByteRange = new ByteRange(start, start + length - 1) };
                    GetObjectResponse response;
                    try { response = await _client.GetObjectAsync(request, u); }
                    catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                    {
                        // The object ends before this part starts.
                        var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = Key(name) }, u);
                        Interlocked.Exchange(ref size, head.ContentLength);
                        return true;
                    }
                    using var body = response;
                    if (TotalSize(response.ContentRange) is { } total && total != bytes)
                    {
                        Interlocked.Exchange(ref size, total);
                        length = Math.Max(0, Math.Min(length, total - start));
                    }
                    var buffer = ArrayPool<byte>.Shared.Rent(1 << 20); // pooled: see ShardTable's reader
                    long done = 0;
                    try
                    {
                        while (done < length)
                        {
                            int n = await response.ResponseStream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), u);
                            if (n == 0) break;
                            await RandomAccess.WriteAsync(file, buffer.AsMemory(0, n), start + done, u);
                            done += n;
                        }
                    }
                    finally { ArrayPool<byte>.Shared.Return(buffer); }
                    if (done != length) throw new IOException($"the server sent {done:N0} of {length:N0} bytes of {name}");
                    return true;
                }, _options.RetryFor, t);
            });
            return true;
        }, $"downloading {name}", TimeSpan.Zero, cancel); // no retries of the whole: each part retries for RetryFor itself
        if (size < bytes) RandomAccess.SetLength(file, size);
        return size;
    }

    /// <summary>Reads a whole object in one plain GET and throws the bytes away: the benchmark's limit for downloads.</summary>
    public long GetAndDiscard(string name, CancellationToken cancel) => Run(async token =>
    {
        using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = Key(name) }, token);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long total = 0;
            for (int n; (n = await response.ResponseStream.ReadAsync(buffer, token)) > 0;) total += n;
            return total;
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }, $"reading {name}", _options.RetryFor, cancel);

    /// <summary>The object's whole size from a Content-Range header ("bytes 0-99/1234"), when it says.</summary>
    private static long? TotalSize(string? contentRange) =>
        contentRange is { } range && range.LastIndexOf('/') is >= 0 and var slash && long.TryParse(range.AsSpan(slash + 1), out long total) ? total : null;

    public override bool Exists(string name, long bytes, CancellationToken cancel) => Run(async token =>
    {
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = Key(name) }, token);
            return metadata.ContentLength == bytes;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return false; }
    }, $"looking for {name}", _options.RetryFor, cancel);

    public override void Upload(string file, string name, CancellationToken cancel) => Run(async token =>
    {
        using var transfer = new TransferUtility(_client, new TransferUtilityConfig { ConcurrentServiceRequests = _options.ParallelRequests });
        await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = _bucket, Key = Key(name), FilePath = file, PartSize = _options.PartSize }, token);
        return true;
    }, $"uploading {name}", _options.RetryFor, cancel);

    public override void PutSmall(string name, byte[] bytes, CancellationToken cancel) => Run(async token =>
    {
        using var body = new MemoryStream(bytes, writable: false);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = Key(name), InputStream = body, AutoCloseStream = false }, token);
        return true;
    }, $"writing {name}", _options.RetryFor, cancel);

    public override IReadOnlyList<string> List(CancellationToken cancel) => Run(async token =>
    {
        var names = new List<string>();
        string? next = null;
        string prefix = _prefix.Length == 0 ? "" : _prefix + "/";
        do
        {
            var page = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, Delimiter = "/", ContinuationToken = next }, token);
            foreach (var o in page.S3Objects ?? []) names.Add(o.Key[prefix.Length..]);
            next = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (next is not null);
        return (IReadOnlyList<string>)names;
    }, "listing the set", _options.RetryFor, cancel);

    public override void Delete(string name, CancellationToken cancel) => Run(async token =>
    {
        await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = Key(name) }, token);
        return true;
    }, $"deleting {name}", _options.RetryFor, cancel);

    public override void PrepareForWriting(CancellationToken cancel) => Run(async token =>
    {
        await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix, MaxKeys = 1 }, token);
        return true;
    }, "checking the bucket", OpenBudget, cancel);

    public override void Dispose() => _client.Dispose();

    /// <summary>Runs an S3 operation, retrying what may pass, and turns what will not into one clear line.</summary>
    private T Run<T>(Func<CancellationToken, Task<T>> operation, string what, TimeSpan budget, CancellationToken cancel)
    {
        try { return Retrying(operation, budget, cancel).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not InvalidDataException && (e is not OperationCanceledException || !cancel.IsCancellationRequested))
        {
            throw Translate(e, what);
        }
    }

    /// <summary>Retries transient failures (no connection, 5xx, a timeout, a cut transfer) with backoff until <paramref name="budget"/> is spent.</summary>
    private static async Task<T> Retrying<T>(Func<CancellationToken, Task<T>> operation, TimeSpan budget, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + budget;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try { return await operation(cancel); }
            catch (Exception e) when (Transient(e, cancel) && DateTime.UtcNow + delay < deadline)
            {
                await Task.Delay(delay, cancel);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    private static bool Transient(Exception e, CancellationToken cancel) => e switch
    {
        InvalidDataException => false, // what the bytes say, not how they came
        AmazonServiceException s when s.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest => false,
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError or 0 } => true,
        OperationCanceledException => !cancel.IsCancellationRequested, // a timeout, not the caller
        HttpRequestException or IOException or SocketException => true,
        AmazonClientException { InnerException: { } inner } => Transient(inner, cancel),
        AggregateException { InnerExceptions: [var inner] } => Transient(inner, cancel),
        _ => false,
    };

    /// <summary>
    /// Splits "http://KEY:SECRET@host" into the endpoint without its user information and that information, so that
    /// the secret is neither sent to the SDK as part of a URL (where its messages would quote it) nor shown.
    /// </summary>
    internal static (string? Endpoint, string? UserInfo) SplitUserInfo(string? endpoint)
    {
        if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0) return (endpoint, null);
        int at = endpoint.IndexOf('@', endpoint.IndexOf("://", StringComparison.Ordinal) + 3);
        string userInfo = endpoint[(endpoint.IndexOf("://", StringComparison.Ordinal) + 3)..at];
        return (endpoint.Remove(endpoint.IndexOf("://", StringComparison.Ordinal) + 3, userInfo.Length + 1), userInfo);
    }

    /// <summary><paramref name="text"/> with the endpoint's user information (as written and decoded) replaced by "***".</summary>
    private string Redact(string text)
    {
        if (_userInfo is null) return text;
        foreach (string secret in new[] { _userInfo, Uri.UnescapeDataString(_userInfo) }.Concat(_userInfo.Split(':', 2).Select(Uri.UnescapeDataString)))
            if (secret.Length > 0) text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    private ImageStashException Translate(Exception e, string what)
    {
        var translated = TranslateCore(e, what);
        return _userInfo is null || Redact(translated.Message) == translated.Message ? translated
            : new ImageStashException(Redact(translated.Message), translated.Error); // the SDK's exception, which may quote the secret, is dropped
    }

    private ImageStashException TranslateCore(Exception e, string what)
    {
        var root = e is AggregateException { InnerExceptions: [var single] } ? single : e;
        string where = $"{_url} ({what})";
        return root switch
        {
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } =>
                new ImageStashException($"{where}: bucket '{_bucket}' does not exist at {EndpointName}; create it, or check the URL.", ImageStashError.NotFound, root),
            AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized } s =>
                new ImageStashException($"{where}: access denied ({s.ErrorCode}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile).", ImageStashError.AccessDenied, root),
            AmazonS3Exception s =>
                new ImageStashException($"{where}: the server answered {(int)s.StatusCode} {s.ErrorCode} {s.Message}".TrimEnd() + ".", ImageStashError.Other, root),
            _ when Transient(root, CancellationToken.None) =>
                new ImageStashException($"{where}: cannot reach the S3 server at {EndpointName} ({Innermost(root).Message}); check --endpoint / AWS_ENDPOINT_URL and that the server is running.", ImageStashError.Unreachable, root),
            ImageStashException already => already,
            _ => new ImageStashException($"{where}: {Innermost(root).Message}", ImageStashError.Other, root),
        };
    }

    /// <summary>The SDK's usual chain (environment, profiles, instance metadata); its failure means no credentials were found.</summary>
    private static AWSCredentials DefaultCredentials(AmazonS3Config config, string url)
    {
        try { return Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials(config); }
        catch (AmazonClientException e)
        {
            throw new ImageStashException($"{url}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE.", ImageStashError.AccessDenied, e);
        }
    }

    private string EndpointName => _endpoint ?? $"AWS ({_options.Region})";

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }
}
