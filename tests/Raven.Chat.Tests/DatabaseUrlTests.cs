using Npgsql;
using Raven.Chat.Internal.Storage;

namespace Raven.Chat.Tests;

public class DatabaseUrlTests
{
    [Theory]
    [InlineData("postgres://raven:s3cret@db.example.com:6543/chat", "db.example.com", 6543, "raven", "s3cret", "chat")]
    [InlineData("postgresql://raven:s3cret@db.example.com/chat", "db.example.com", 5432, "raven", "s3cret", "chat")]
    [InlineData("postgres://u%40corp:p%3Aw%2Fd%40@127.0.0.1:5433/my%20db", "127.0.0.1", 5433, "u@corp", "p:w/d@", "my db")]
    [InlineData("postgres://raven:p@ss@localhost/chat", "localhost", 5432, "raven", "p@ss", "chat")]
    [InlineData("postgres://raven@[::1]:5444/chat", "::1", 5444, "raven", null, "chat")]
    [InlineData("POSTGRES://raven@localhost", "localhost", 5432, "raven", null, null)]
    public void Url_forms_map_to_the_connection_fields(string url, string host, int port, string user, string? password, string? database)
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString(url));
        Assert.Equal((host, port, user, password, database), (builder.Host, builder.Port, builder.Username, builder.Password, builder.Database));
    }

    [Fact]
    public void Query_parameters_use_libpq_names()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString(
            "postgres://u:p@h/db?sslmode=verify-full&application_name=raven%20node&connect_timeout=7&sslrootcert=/etc/ca.pem"));
        Assert.Equal(SslMode.VerifyFull, builder.SslMode);
        Assert.Equal("raven node", builder.ApplicationName);
        Assert.Equal(7, builder.Timeout);
        Assert.Equal("/etc/ca.pem", builder.RootCertificate);
        Assert.Equal(SslMode.Require, new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("postgres://u@h/db?sslmode=require")).SslMode);
    }

    [Fact]
    public void Several_hosts_keep_their_ports()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("postgres://u@one:5432,two:5433/db?target_session_attrs=primary"));
        Assert.Equal("one:5432,two:5433", builder.Host);
        Assert.Equal("primary", builder.TargetSessionAttributes);
    }

    [Fact]
    public void Npgsql_keyword_form_is_taken_as_is()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("Host=db;Port=5439;Username=raven;Password=x;Database=chat;SSL Mode=Require"));
        Assert.Equal(("db", 5439, "raven", "chat", SslMode.Require), (builder.Host, builder.Port, builder.Username, builder.Database, builder.SslMode));
    }

    [Theory]
    [InlineData("mysql://raven:hunter2@localhost/chat", "postgres://")]
    [InlineData("postgres://raven:hunter2@localhost:99999/chat", "port")]
    [InlineData("postgres://raven:hunter2@localhost/chat?sslmode=sometimes", "sslmode")]
    [InlineData("postgres://raven:hunter2@localhost/chat?frobnicate=1", "frobnicate")]
    [InlineData("postgres://raven:hunter2@/chat", "host")]
    [InlineData("Hots=localhost;Password=hunter2", "connection string")]
    public void Bad_values_are_explained_without_the_password(string url, string expected)
    {
        string? problem = ChatOptions.CheckDatabaseUrl(url);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hunter2", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Good_values_pass_the_check() => Assert.Null(ChatOptions.CheckDatabaseUrl("postgres://u:p@h:5432/db?sslmode=disable"));
}
