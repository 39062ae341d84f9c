using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Appliance.Web.Security;

/// <summary>
/// Creates accounts and tokens and checks credentials. Passwords are hashed with ASP.NET Core Identity's
/// <see cref="PasswordHasher{TUser}"/> (format V3: PBKDF2-HMAC-SHA512, 100,000 iterations, 128-bit salt).
/// An unknown account name is checked against a dummy hash, so it costs the same time as a wrong password.
/// </summary>
public sealed class AccountService(IAccountStore store, TimeProvider time)
{
    public const int MinimumPasswordLength = 12;

    private static readonly PasswordHasher<AdminAccount> Hasher = new();
    private static readonly AdminAccount Nobody = new() { Name = "", PasswordHash = "" };
    private static readonly string DummyHash = Hasher.HashPassword(Nobody, "appliance-dummy-password-for-timing");

    /// <summary>Why an account could not be created, or null when it was.</summary>
    public async Task<string?> CreateAccountAsync(string name, string password, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
        {
            return "The user name must be 1-64 letters, digits, '.', '-', '_' or '@'.";
        }
        if (password.Length < MinimumPasswordLength)
        {
            return $"The password must be at least {MinimumPasswordLength} characters long.";
        }
        var account = new AdminAccount { Name = name, PasswordHash = Hasher.HashPassword(Nobody, password), CreatedAt = time.GetUtcNow() };
        return await store.CreateAccountAsync(account, cancellationToken) ? null : $"A user named '{name}' already exists.";
    }

    /// <summary>The account when the password matches; null otherwise (same work either way).</summary>
    public async Task<AdminAccount?> VerifyAsync(string name, string password, CancellationToken cancellationToken = default)
    {
        AdminAccount? account = await store.FindAccountAsync(name.Trim(), cancellationToken);
        PasswordVerificationResult result = Hasher.VerifyHashedPassword(Nobody, account?.PasswordHash ?? DummyHash, password);
        return account is not null && result != PasswordVerificationResult.Failed ? account : null;
    }

    /// <summary>Creates a token; returns it with the secret, which is never shown again.</summary>
    public async Task<(ApiToken Token, string Secret)> CreateTokenAsync(string owner, string name, CancellationToken cancellationToken = default)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        string secret = $"apl_{id}_{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        var token = new ApiToken
        {
            Id = id,
            Name = string.IsNullOrWhiteSpace(name) ? "token" : name.Trim(),
            Owner = owner,
            SecretSha256 = Sha256(secret),
            CreatedAt = time.GetUtcNow(),
        };
        await store.AddTokenAsync(token, cancellationToken);
        return (token, secret);
    }

    /// <summary>The token whose secret this is, compared in constant time; null when none.</summary>
    public async Task<ApiToken?> FindTokenAsync(string secret, CancellationToken cancellationToken = default)
    {
        byte[] presented = Encoding.ASCII.GetBytes(Sha256(secret));
        foreach (ApiToken token in await store.ListTokensAsync(cancellationToken))
        {
            if (CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(token.SecretSha256)))
            {
                return token;
            }
        }
        return null;
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Sha256(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
