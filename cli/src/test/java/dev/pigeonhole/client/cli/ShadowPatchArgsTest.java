package dev.pigeonhole.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pigeonhole.protocol.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShadowPatchArgsTest {
    private static String patch(String... args) {
        return Json.write(ShadowPatchArgs.parse(List.of(args)));
    }

    @Test
    void valuesAreJsonWhenTheyParseElseStrings() {
        assertThat(patch("temperature=21", "eco=true", "name=living room", "quoted=\"21\"", "schedule=[7,22]",
                "limits={\"min\":15}", "ratio=0.50", "empty=", "code=007", "half=1 2"))
                .isEqualTo("{\"temperature\":21,\"eco\":true,\"name\":\"living room\",\"quoted\":\"21\","
                        + "\"schedule\":[7,22],\"limits\":{\"min\":15},\"ratio\":0.50,\"empty\":\"\",\"code\":\"007\","
                        + "\"half\":\"1 2\"}");
    }

    @Test
    void dottedKeysNestAndNullDeletes() {
        assertThat(patch("mode.fan=auto", "mode.heat.level=3", "schedule=null", "mode.light=null"))
                .isEqualTo("{\"mode\":{\"fan\":\"auto\",\"heat\":{\"level\":3},\"light\":null},\"schedule\":null}");
        assertThat(patch("limits={\"min\":15}", "limits.max=25")).isEqualTo("{\"limits\":{\"min\":15,\"max\":25}}");
        assertThat(patch("url=http://x/?a=b")).isEqualTo("{\"url\":\"http://x/?a=b\"}");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> patch("temperature")).hasMessageContaining("'temperature' is not key=value");
        assertThatThrownBy(() -> patch("=1")).hasMessageContaining("not key=value");
        assertThatThrownBy(() -> patch("mode..fan=1")).hasMessageContaining("empty name");
        assertThatThrownBy(() -> patch("t=1", "t=2")).hasMessageContaining("'t' is given twice");
        assertThatThrownBy(() -> patch("mode=eco", "mode.fan=auto")).hasMessageContaining("'mode' is set to a value");
        assertThatThrownBy(() -> patch("mode.fan=auto", "mode=eco")).hasMessageContaining("given twice");
    }
}
