package dev.cicd.testkit.internal.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class PatchesTest {

    private final JsonMapper json = JsonMapper.builder().build();

    private JsonNode j(String text) {
        return json.readTree(text.replace('\'', '"'));
    }

    @Test
    void mergePatchFollowsRfc7386() {
        assertEquals(j("{'a':'z','c':{'d':'e'}}"), Patches.mergePatch(j("{'a':'b','c':{'d':'e','f':'g'}}"), j("{'a':'z','c':{'f':null}}")));
        assertEquals(j("{'a':['c']}"), Patches.mergePatch(j("{'a':['b']}"), j("{'a':['c']}")));
        assertEquals(j("{'a':{'b':'c'}}"), Patches.mergePatch(j("{'a':'x'}"), j("{'a':{'b':'c'}}")));
        assertEquals(j("{}"), Patches.mergePatch(j("{}"), j("{'e':null}")));
        assertEquals(j("['x']"), Patches.mergePatch(j("{'a':'b'}"), j("['x']")));
    }

    @Test
    void strategicMergeMergesContainersByNameAndReplacesOtherLists() {
        JsonNode target = j("{'spec':{'containers':[{'name':'a','image':'a:1','args':['x']},{'name':'b','image':'b:1'}],"
                + "'tolerations':[{'key':'k1'}]}}");
        JsonNode patch = j("{'spec':{'containers':[{'name':'b','image':'b:2'},{'name':'c','image':'c:1'}],"
                + "'tolerations':[{'key':'k2'}],'$setElementOrder/containers':[{'name':'a'}]}}");

        assertEquals(j("{'spec':{'containers':[{'name':'a','image':'a:1','args':['x']},{'name':'b','image':'b:2'},"
                + "{'name':'c','image':'c:1'}],'tolerations':[{'key':'k2'}]}}"), Patches.strategicMergePatch(target, patch));
    }

    @Test
    void strategicMergeHonoursDeleteDirectivesAndNulls() {
        JsonNode target = j("{'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],'x':1}");
        JsonNode patch = j("{'env':[{'name':'A','$patch':'delete'}],'x':null}");

        assertEquals(j("{'env':[{'name':'B','value':'2'}]}"), Patches.strategicMergePatch(target, patch));
    }

    @Test
    void containerPortsMergeByContainerPort() {
        JsonNode target = j("{'ports':[{'containerPort':80,'name':'http'},{'containerPort':443}]}");
        JsonNode patch = j("{'ports':[{'containerPort':80,'protocol':'TCP'}]}");

        assertEquals(j("{'ports':[{'containerPort':80,'name':'http','protocol':'TCP'},{'containerPort':443}]}"),
                Patches.strategicMergePatch(target, patch));
    }
}
