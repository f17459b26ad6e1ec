package dev.pigeonhole.standalone;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;

/**
 * DEV ONLY: the standalone mode's token signing key, an RSA pair kept in {@code <data-dir>/dev-keys/}, and the
 * tokens it mints. They carry the {@code pigeonhole_dev} claim and the issuer {@value #ISSUER}; production
 * configurations trust neither.
 */
public final class DevKeys {
    public static final String ISSUER = "pigeonhole-standalone";

    private final PrivateKey privateKey;
    private final Path publicPem;

    private DevKeys(PrivateKey privateKey, Path publicPem) {
        this.privateKey = privateKey;
        this.publicPem = publicPem;
    }

    /** Loads the pair from {@code dataDir/dev-keys}, creating it on first use. */
    public static DevKeys loadOrCreate(Path dataDir) {
        Path dir = dataDir.resolve("dev-keys");
        Path privatePem = dir.resolve("private.pem");
        Path publicPem = dir.resolve("public.pem");
        try {
            if (!Files.exists(privatePem)) {
                Files.createDirectories(dir);
                KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
                gen.initialize(2048);
                KeyPair pair = gen.generateKeyPair();
                Files.writeString(publicPem, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
                Files.writeString(privatePem, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
                try {
                    Files.setPosixFilePermissions(privatePem, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException notPosix) {
                    // best effort on other file systems
                }
            }
            String body = Files.readString(privatePem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
            return new DevKeys(key, publicPem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the dev signing key in " + dir, e);
        }
    }

    public Path publicKeyPem() {
        return publicPem;
    }

    /** A dev token for a user's device, valid for {@code ttl}. */
    public String mint(String user, String device, Duration ttl) {
        return sign(Jwt.claims().issuer(ISSUER).subject(user).claim("device", device).claim("pigeonhole_dev", true)
                .expiresIn(ttl));
    }

    /** Signs arbitrary claims with the dev key (tools and tests: e.g. an expired or wrongly issued token). */
    public String sign(JwtClaimsBuilder claims) {
        return claims.sign(privateKey);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
