using System.Globalization;

namespace Unified.Tuning.Storages;

/// <summary>
/// Opens a storage from a URI, as Optuna's <c>storage=</c> strings: <c>sqlite:///relative.db</c>,
/// <c>sqlite:////absolute/path.db</c>, <c>redis://HOST:PORT/DB</c> (port 6379 and database 0 by default), each with
/// optional <c>?heartbeat_interval=S&amp;grace_period=S</c>; <c>memory</c> for an in-memory storage.
/// </summary>
public static class StorageUri
{
    /// <summary>Opens the storage <paramref name="uri"/> names.</summary>
    /// <exception cref="ArgumentException">An unknown scheme or a malformed URI.</exception>
    /// <exception cref="TimeoutException">A Redis server that does not answer.</exception>
    /// <exception cref="InvalidDataException">A SQLite file that is not a study database.</exception>
    /// <exception cref="IOException">A SQLite file that cannot be opened or created.</exception>
    public static IStorage Open(string uri, StorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (uri == "memory") return new InMemoryStorage();
        int schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        string scheme = schemeEnd < 0 ? "" : uri[..schemeEnd];
        if (scheme is not ("sqlite" or "redis"))
            throw new ArgumentException($"Unknown storage scheme '{scheme}' in '{uri}': use sqlite:///PATH.db, redis://HOST:PORT/DB or memory.");
        string rest = uri[(schemeEnd + 3)..];
        string query = "";
        if (rest.IndexOf('?') is int q and >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        options = WithQuery(options ?? new StorageOptions(), query, uri);
        options.Validate();
        return scheme == "sqlite" ? OpenSqlite(rest, uri, options) : OpenRedis(rest, uri, options);
    }

    static IStorage OpenSqlite(string rest, string uri, StorageOptions options)
    {
        // SQLAlchemy's form: sqlite:/// then the path, so an absolute path starts with a fourth slash.
        if (!rest.StartsWith('/') || rest.Length < 2)
            throw new ArgumentException($"A SQLite storage is sqlite:///PATH.db (relative) or sqlite:////ABSOLUTE/PATH.db, not '{uri}'.");
        return new SqliteStorage(rest[1..], options);
    }

    static IStorage OpenRedis(string rest, string uri, StorageOptions options)
    {
        string hostPort = rest, database = "0";
        if (rest.IndexOf('/') is int slash and >= 0) (hostPort, database) = (rest[..slash], rest[(slash + 1)..]);
        if (database.Length == 0) database = "0";
        string host = hostPort;
        int port = 6379;
        if (hostPort.LastIndexOf(':') is int colon and >= 0)
        {
            host = hostPort[..colon];
            if (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                throw new ArgumentException($"The port in '{uri}' must be a number from 1 to 65535.");
        }
        if (host.Length == 0) throw new ArgumentException($"The Redis URI '{uri}' has no host: use redis://HOST:PORT/DB.");
        if (!int.TryParse(database, NumberStyles.None, CultureInfo.InvariantCulture, out int db))
            throw new ArgumentException($"The database in '{uri}' must be a number (redis://HOST:PORT/0).");
        return new RedisStorage(host, port, db, options);
    }

    static StorageOptions WithQuery(StorageOptions options, string query, string uri)
    {
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
                throw new ArgumentException($"'{pair}' in '{uri}' is not NAME=SECONDS.");
            options = parts[0] switch
            {
                "heartbeat_interval" => options with { HeartbeatInterval = TimeSpan.FromSeconds(seconds) },
                "grace_period" => options with { GracePeriod = TimeSpan.FromSeconds(seconds) },
                _ => throw new ArgumentException($"Unknown storage option '{parts[0]}' in '{uri}': use heartbeat_interval or grace_period."),
            };
        }
        return options;
    }
}
