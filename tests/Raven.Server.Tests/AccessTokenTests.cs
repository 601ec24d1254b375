using Microsoft.Extensions.DependencyInjection;
using Raven.Server.Auth;
using Raven.Server.Tests.Infrastructure;

namespace Raven.Server.Tests;

/// <summary>The services the Socket.IO handshake uses: token extraction from raw headers and validation with the user check.</summary>
public sealed class AccessTokenTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("accessToken=abc", "abc")]
    [InlineData("theme=dark; accessToken=a.b.c; refreshToken=zzz", "a.b.c")]
    [InlineData("xaccessToken=no; accessToken=\"quoted\"", "quoted")]
    [InlineData("accessToken=a%2Eb", "a.b")]
    [InlineData("accessToken=", null)]
    [InlineData("refreshToken=only", null)]
    public void Cookie_header_parsing(string? header, string? expected) =>
        Assert.Equal(expected, AccessTokenReader.FromCookieHeader(header));

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer  abc ", "abc")]
    [InlineData("Basic abc", null)]
    [InlineData("Bearer ", null)]
    [InlineData(null, null)]
    public void Authorization_header_parsing(string? header, string? expected) =>
        Assert.Equal(expected, AccessTokenReader.FromAuthorizationHeader(header));

    [Fact]
    public async Task Validator_reports_the_socket_error_codes_and_current_user_data()
    {
        var server = fixture.Server;
        var validator = server.Services.GetRequiredService<AccessTokenValidator>();
        var user = await server.NewUserAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.Equal(AccessTokenResult.AuthenticationRequired, (await validator.ValidateAsync(null)).ErrorCode);
        Assert.Equal(AccessTokenResult.AuthenticationRequired, (await validator.ValidateAsync("  ")).ErrorCode);
        Assert.Equal(AccessTokenResult.InvalidToken, (await validator.ValidateAsync("not.a.jwt")).ErrorCode);
        var expired = RavenTestServer.SignJwt(new { userId = user.Id, username = user.Username, iat = now - 7200, exp = now - 3600 });
        Assert.Equal(AccessTokenResult.TokenExpired, (await validator.ValidateAsync(expired)).ErrorCode);
        var ghost = RavenTestServer.SignJwt(new { userId = "0123456789abcdef01234567", username = "ghost", iat = now, exp = now + 60 });
        Assert.Equal(AccessTokenResult.InvalidToken, (await validator.ValidateAsync(ghost)).ErrorCode);

        var signedIn = await validator.ValidateAsync(user.Client.CookieValue("accessToken"));
        Assert.True(signedIn.Success);
        Assert.Equal(user.Id, signedIn.UserId);
        Assert.Equal(user.Username, signedIn.Username);
        Assert.Equal(user.Email, signedIn.Email);
        Assert.Null(signedIn.ErrorCode);
    }
}
