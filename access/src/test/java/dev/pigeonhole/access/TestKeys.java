package dev.pigeonhole.access;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.JoseException;

/** An RSA key pair for tests: the public half as a PEM file, the private half to sign tokens. */
final class TestKeys {
    final KeyPair pair;
    final Path publicPem;

    TestKeys(Path dir) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            pair = gen.generateKeyPair();
            publicPem = dir.resolve("public-" + System.nanoTime() + ".pem");
            Files.writeString(publicPem, "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JwtClaimsBuilder claims(String issuer, String user, String device) {
        return Jwt.claims().issuer(issuer).subject(user).claim("device", device).expiresIn(3600);
    }

    String sign(JwtClaimsBuilder claims) {
        return claims.sign(pair.getPrivate());
    }

    /** Signs the claims exactly as given (the builder always adds {@code iat}). */
    String signRaw(String claimsJson) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claimsJson);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setKey(pair.getPrivate());
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }
}
