using Microsoft.Data.Sqlite;
using Unified.Testing;
using Unified.Tuning.Storages;
using Xunit;

namespace Unified.Tuning.Tests;

public sealed class StorageInputTests : IDisposable
{
    readonly TempDirectory directory = new();

    [Theory]
    [InlineData("postgresql://localhost/db", "Unknown storage scheme 'postgresql'")]
    [InlineData("studies.db", "Unknown storage scheme ''")]
    [InlineData("sqlite://studies.db", "A SQLite storage is sqlite:///PATH.db")]
    [InlineData("redis://:6379/0", "has no host")]
    [InlineData("redis://localhost:99999/0", "must be a number from 1 to 65535")]
    [InlineData("redis://localhost:6379/zero", "must be a number (redis://HOST:PORT/0)")]
    [InlineData("sqlite:///x.db?heartbeat=1", "Unknown storage option 'heartbeat'")]
    [InlineData("sqlite:///x.db?heartbeat_interval=0", "heartbeat_interval must be positive")]
    public void BadUris_AreRefused_WithTheFix(string uri, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => StorageUri.Open(uri));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void UnreachableRedis_TimesOut_NamingTheAddress()
    {
        int port = RedisServer.FreePort();
        var e = Assert.Throws<TimeoutException>(() => StorageUri.Open($"redis://127.0.0.1:{port}/0", new StorageOptions { ConnectTimeout = TimeSpan.FromSeconds(1) }));
        Assert.StartsWith($"No Redis server answered at 127.0.0.1:{port} within 1 s: start redis-server there or fix the storage URI", e.Message);
    }

    [Fact]
    public void AFileThatIsNotSqlite_IsRefused_AndLeftAsItWas()
    {
        string path = directory.File("notes.db");
        File.WriteAllText(path, "my notes, not a database\n");
        var e = Assert.Throws<InvalidDataException>(() => StorageUri.Open("sqlite:///" + path));
        Assert.StartsWith($"'{path}' is not a SQLite database", e.Message);
        Assert.Equal("my notes, not a database\n", File.ReadAllText(path));
        Assert.Equal(["notes.db"], directory.FileNames());
    }

    [Fact]
    public void ASqliteDatabaseOfSomethingElse_IsRefused_AndLeftAsItWas()
    {
        string path = directory.File("app.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada');";
            command.ExecuteNonQuery();
        }
        byte[] before = File.ReadAllBytes(path);
        var e = Assert.Throws<InvalidDataException>(() => StorageUri.Open("sqlite:///" + path));
        Assert.Equal($"'{path}' is a SQLite database but not a study database (its tables: customers); it was left as it was: pass a new file name or a study database.", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void ASqliteFileInAMissingFolder_IsRefused_NamingTheFolder_AndCreatesNothing()
    {
        string folder = directory.File("missing"), path = Path.Combine(folder, "s.db");
        var e = Assert.Throws<IOException>(() => StorageUri.Open("sqlite:///" + path));
        Assert.Equal($"Cannot create the SQLite file '{path}': its folder '{folder}' does not exist; create it or pass another path.", e.Message);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void SqliteStorage_UsesWriteAheadLogging()
    {
        string path = directory.File("s.db");
        using (StorageUri.Open("sqlite:///" + path)) { }
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    public void Dispose() => directory.Dispose();
}
